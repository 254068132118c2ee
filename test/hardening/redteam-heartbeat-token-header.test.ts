import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "heartbeat-token-redteam";
const monitors = [
  monitorSpec({ id: "cron-job", schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m", token: { secret: "HEARTBEAT_TOKEN" } } as never }),
];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a heartbeat's token is accepted where docs/security.md tells senders to put it", () => {
  it("accepts X-Watchkeeper-Token, Authorization: Bearer and ?token=, and refuses a wrong one in any of them", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["HEARTBEAT_TOKEN"], env: { HEARTBEAT_TOKEN: TOKEN } });
    const ping = (init: RequestInit, query = "") => fetch(`${rt!.url}/heartbeat/cron-job${query}`, { method: "POST", ...init }).then((r) => r.status);
    expect(await ping({ headers: { "x-watchkeeper-token": TOKEN } })).toBe(200);
    expect(await ping({ headers: { authorization: `Bearer ${TOKEN}` } })).toBe(200);
    expect(await ping({}, `?token=${TOKEN}`)).toBe(200);
    expect(await ping({ headers: { "x-watchkeeper-token": "wrong" } })).toBe(401);
    expect(await ping({ headers: { "x-watchkeeper-token": "wrong" } }, `?token=${TOKEN}`)).toBe(401);
    expect(await ping({ headers: { authorization: "Bearer wrong" } })).toBe(401);
    expect(await ping({})).toBe(401);
    expect(rt.logs()).not.toContain(TOKEN);
  });
});
