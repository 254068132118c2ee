import { afterEach, describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-credential-headers";
const LITERAL = "literal-k3y-in-a-header";
const COOKIE = "session=c00kie-value";

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a monitor with a literal credential header (an artifact compiled before the rule, or with it turned off)", () => {
  it("is shown by /api/monitors/:id and /monitors/:id without the header's value; a secret reference and other headers stay", async () => {
    const base = monitorSpec({ id: "partner-api", schedule: { kind: "every", every: "1h" } });
    const monitor = {
      ...base,
      check: { ...base.check, headers: { "X-Api-Key": LITERAL, Cookie: COOKIE, authorization: { secret: "PARTNER_TOKEN" }, accept: "application/json" } },
    } as unknown as MonitorSpec;
    rt = await startHttpRuntime({ monitors: [monitor], env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const res = await fetch(`${rt.url}/api/monitors/partner-api`, { headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { monitor: { check: { headers: Record<string, unknown> } } };
    expect(body.monitor.check.headers).toEqual({ "X-Api-Key": "[redacted]", Cookie: "[redacted]", authorization: { secret: "PARTNER_TOKEN" }, accept: "application/json" });
    const page = await (await fetch(`${rt.url}/monitors/partner-api`, { headers })).text();
    expect(page).not.toContain(LITERAL);
    expect(page).not.toContain("c00kie");
  });
});
