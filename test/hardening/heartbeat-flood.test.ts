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

/** The store's heartbeat writes from now on, per heartbeat id. */
function countWrites(runtime: HttpRuntime): Map<string, number> {
  const writes = new Map<string, number>();
  const store = runtime.runtime.store;
  const record = store.recordHeartbeat.bind(store);
  store.recordHeartbeat = async (id: string, at: number) => {
    writes.set(id, (writes.get(id) ?? 0) + 1);
    return record(id, at);
  };
  return writes;
}

describe("a heartbeat hammered with its leaked token", () => {
  it("answers every ping 200 but writes the store at most 60 times a minute and once a second past that, counted per heartbeat: another job behind the same address is written at once", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    const writes = countWrites(rt);
    const started = Date.now();
    for (let n = 0; n < 300; n++) expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(200);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(writes.get("backup")).toBeGreaterThanOrEqual(60);
    expect(writes.get("backup")).toBeLessThanOrEqual(60 + seconds + 1);
    // Same address, another heartbeat: not held back by the flood of the first.
    expect((await ping("report")).status).toBe(200);
    expect(writes.get("report")).toBe(1);
    expect(rt.logs()).toContain("heartbeat pinged more than 60 times a minute");
    expect(rt.logs()).not.toContain(TOKEN);
  });

  it("never loses a ping's effect while limited: the heartbeat stays as fresh as the last ping, to the second", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    const writes = countWrites(rt);
    for (let n = 0; n < 61; n++) expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(200);
    const before = Date.now();
    await until(async () => (await ping("backup", { "x-watchkeeper-token": TOKEN })).status === 200 && Date.now() - before > 1100);
    const sent = Date.now();
    expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(200);
    expect(await rt.runtime.store.lastHeartbeat("backup")).toBeGreaterThanOrEqual(sent - 1000);
    expect(writes.get("backup")).toBeGreaterThan(1);
  });

  it("does not let wrong tokens use up the limit of the job that has the right one", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["BACKUP_TOKEN"], env: { BACKUP_TOKEN: TOKEN } });
    const writes = countWrites(rt);
    for (let n = 0; n < 150; n++) expect((await ping("backup", { "x-watchkeeper-token": `guess-${n}` })).status).toBe(401);
    expect((await ping("backup", { "x-watchkeeper-token": TOKEN })).status).toBe(200);
    expect(writes.get("backup")).toBe(1);
  });
});

async function until(ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
