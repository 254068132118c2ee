import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "leaked-heartbeat-token-4f1c";
const heartbeat = (id: string, token?: string) =>
  monitorSpec({ id, schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m", ...(token ? { token: { secret: token } } : {}) } as never });
const monitors = [heartbeat("backup", "BACKUP_TOKEN"), heartbeat("report")];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

const ping = (id: string, headers: Record<string, string> = {}) => fetch(`${rt!.url}/heartbeat/${id}`, { method: "POST", headers: { "user-agent": "curl/8.5.0", ...headers } });

describe("a heartbeat hammered with its leaked token", () => {
  it("answers 429 with Retry-After past the limit, counted per heartbeat: another job behind the same address still pings", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    let limited: Response | null = null;
    for (let n = 0; n < 200 && !limited; n++) {
      const res = await ping("backup", { "x-watchkeeper-token": TOKEN });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // Same address, another heartbeat: not held back by the flood of the first.
    expect((await ping("report")).status).toBe(200);
  });

  it("never loses a ping's effect while limited: the heartbeat stays as fresh as the last ping, to the second", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    let status = 200;
    for (let n = 0; n < 200 && status !== 429; n++) status = (await ping("backup", { "x-watchkeeper-token": TOKEN })).status;
    expect(status).toBe(429);
    const before = Date.now();
    await until(async () => (await ping("backup", { "x-watchkeeper-token": TOKEN })).status === 429 && Date.now() - before > 1100);
    const sent = Date.now();
    expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(429);
    expect(await rt.runtime.store.lastHeartbeat("backup")).toBeGreaterThanOrEqual(sent - 1000);
  });

  it("does not let wrong tokens use up the limit of the job that has the right one", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    for (let n = 0; n < 150; n++) expect((await ping("backup", { "x-watchkeeper-token": `guess-${n}` })).status).toBe(401);
    expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(200);
  });
});

async function until(ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
