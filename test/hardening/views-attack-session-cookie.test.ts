import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "cookie-token-9b2e";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/**
 * Any site under the same registrable domain (a sibling `status.example.com`, a team's preview
 * deployment) can set a cookie named `wk_session` for the whole domain, or for a longer path such
 * as `/alerts`. Browsers then send it beside the runtime's own, often first: a runtime that read
 * only the first would never see the session, and the team could not sign in, in the middle of
 * an incident, from a browser the other site had visited.
 */
describe("views attack: a session cookie planted by another site of the domain", () => {
  it("does not lock a signed-in browser out of the pages, the API or the silences it may change", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const signIn = await fetch(`${rt.url}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}&next=/` });
    expect(signIn.status).toBe(303);
    const own = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const cookie = `wk_session=planted-by-a-sibling; ${own}; wk_session=`;
    for (const path of ["/", "/monitors/site", "/alerts/wk-site", "/silences", "/api/monitors"]) {
      const res = await fetch(`${rt.url}${path}`, { headers: { cookie }, redirect: "manual" });
      await res.arrayBuffer();
      expect([200, 404], path).toContain(res.status);
    }
    const created = await fetch(`${rt.url}/api/silences`, {
      method: "POST",
      headers: { cookie, origin: rt.url, "content-type": "application/json" },
      body: JSON.stringify({ comment: "deploy", createdBy: "ada", duration: "1h", matchers: { monitors: ["site"] } }),
    });
    expect(created.status).toBe(201);
    // Only a session the runtime signed counts, wherever it stands.
    const forged = await fetch(`${rt.url}/`, { headers: { cookie: "wk_session=1.AAAA; wk_session=planted" }, redirect: "manual" });
    expect(forged.status).toBe(303);
  });
});
