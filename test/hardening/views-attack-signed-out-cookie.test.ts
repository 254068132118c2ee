import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "signed-out-token-51c7";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/**
 * A session cookie copied before its browser signed out (a shared machine, a proxy's log, a
 * browser extension) is refused by the whole runtime afterwards: the pages, the detail API and
 * the silences API that take a session, not only the browser that signed out.
 */
describe("views attack: a session cookie copied before sign-out", () => {
  it("opens nothing once the session signed out", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const signIn = await fetch(`${rt.url}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}&next=/` });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const silence = () =>
      fetch(`${rt!.url}/api/silences`, {
        method: "POST",
        headers: { cookie, origin: rt!.url, "content-type": "application/json" },
        body: JSON.stringify({ comment: "deploy", createdBy: "ada", duration: "1h", matchers: { monitors: ["site"] } }),
      });
    expect((await fetch(`${rt.url}/api/monitors`, { headers: { cookie } })).status).toBe(200);
    expect((await silence()).status).toBe(201);

    const out = await fetch(`${rt.url}/logout`, { method: "POST", redirect: "manual", headers: { cookie, origin: rt.url } });
    expect(out.status).toBe(303);
    for (const path of ["/api/monitors", "/api/alerts", "/api/deliveries", "/api/silences"]) {
      const res = await fetch(`${rt.url}${path}`, { headers: { cookie } });
      await res.arrayBuffer();
      expect(res.status, path).toBe(401);
    }
    const page = await fetch(`${rt.url}/`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toMatch(/^\/login/);
    expect((await silence()).status).toBe(401);
    // The token itself still works, and a new sign-in gets a new session.
    expect((await fetch(`${rt.url}/api/monitors`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
