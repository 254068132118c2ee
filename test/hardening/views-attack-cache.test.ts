import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "cache-token-5d1c";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/**
 * What the token or a browser session reads (alerts, results with their targets' answers,
 * deliveries with vendors' answers, the detailed readiness naming Redis's host) must not be kept by
 * a shared cache in front of the runtime, nor on the disk of a browser someone else uses next: the
 * team's pages say `Cache-Control: no-store`, and so must the JSON the same session reads.
 */
describe("views attack: caches keep nothing the team's credentials read", () => {
  it("answers every detail read, with the token or a session cookie, with Cache-Control: no-store", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const signIn = await fetch(`${rt.url}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}&next=/` });
    expect(signIn.status).toBe(303);
    const session = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(session).toMatch(/^wk_session=\d+\./);
    const paths = ["/api/monitors", "/api/monitors/site", "/api/alerts", "/api/silences", "/api/deliveries", "/readyz", "/", "/monitors/site", "/silences"];
    for (const [how, headers] of [["token", { authorization: `Bearer ${TOKEN}` }], ["session", { cookie: session }]] as const) {
      for (const path of paths) {
        const res = await fetch(`${rt.url}${path}`, { headers });
        await res.arrayBuffer();
        expect(res.status, `${path} with the ${how}`).toBe(200);
        expect(res.headers.get("cache-control") ?? "", `${path} with the ${how}`).toContain("no-store");
      }
    }
  });
});
