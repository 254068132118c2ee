import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

// The event-driven checks (heartbeat, uptime webhook) are fed by whoever can reach the runtime's
// port: floods, enormous bodies, unknown ids and tokens in query strings must leave the runtime
// answering, its memory bounded, and no token in its logs.

const HEARTBEAT_TOKEN = "canary-heartbeat-token-31d7e0";
const UPTIME_TOKEN = "canary-uptime-token-9ab2c4";

const monitors = [
  monitorSpec({ id: "nightly-backup", schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m", token: { secret: "HEARTBEAT_TOKEN" } } as never }),
  monitorSpec({ id: "site-uptime", schedule: { kind: "every", every: "1h" }, check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } as never }),
];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

const start = () =>
  startHttpRuntime({ monitors, secrets: ["HEARTBEAT_TOKEN", "UPTIME_TOKEN"], env: { HEARTBEAT_TOKEN, UPTIME_TOKEN } });

/** Sends `total` requests, `parallel` at a time; resolves to the status codes seen, counted. */
async function flood(total: number, parallel: number, send: (i: number) => Promise<Response>): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) {
        const res = await send(next++);
        await res.arrayBuffer();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

describe("heartbeat and uptime webhook intake under attack", () => {
  it("a flood of 2,000 pings, with the token in the query string, is taken and never logs the token", async () => {
    rt = await start();
    const counts = await flood(2000, 50, () => fetch(`${rt!.url}/heartbeat/nightly-backup?token=${HEARTBEAT_TOKEN}`, { method: "POST" }));
    expect(counts).toEqual({ 200: 2000 });
    expect(rt.logs()).not.toContain(HEARTBEAT_TOKEN);
    expect((await fetch(`${rt.url}/healthz`)).status).toBeLessThan(500);
  });

  it("a flood of pings for unknown ids is refused with 404, bounded in the log, and never logs a token", async () => {
    rt = await start();
    const before = rt.logs().length;
    const counts = await flood(2000, 50, (i) => fetch(`${rt!.url}/heartbeat/unknown-${i}?token=${HEARTBEAT_TOKEN}`, { method: "POST" }));
    expect(counts).toEqual({ 404: 2000 });
    const logged = rt.logs().slice(before);
    expect(logged).not.toContain(HEARTBEAT_TOKEN);
    // Each refused ping may leave a line, but not kilobytes of one.
    expect(logged.length).toBeLessThan(2000 * 400);
  });

  it("an enormous body is refused before it is read whole, and the runtime keeps answering", async () => {
    rt = await start();
    const body = Buffer.alloc(20 * 1024 * 1024, 0x61);
    const before = process.memoryUsage().heapUsed;
    const heartbeat = await fetch(`${rt.url}/heartbeat/nightly-backup`, { method: "POST", headers: { "x-watchkeeper-token": HEARTBEAT_TOKEN }, body }).catch((e: unknown) => e);
    const uptime = await fetch(`${rt.url}/webhooks/uptime/site-uptime`, { method: "POST", headers: { "x-watchkeeper-token": UPTIME_TOKEN, "content-type": "application/json" }, body }).catch((e: unknown) => e);
    for (const res of [heartbeat, uptime]) {
      // Refused with 413, or the connection closed on the sender mid-body: either way not taken.
      if (res instanceof Response) expect([200, 413]).toContain(res.status);
    }
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    const after = await fetch(`${rt.url}/webhooks/uptime/site-uptime`, { method: "POST", headers: { "x-watchkeeper-token": UPTIME_TOKEN, "content-type": "application/json" }, body: JSON.stringify({ up: false, message: "checkout down" }) });
    expect(after.status).toBe(202);
  });

  it("a flood of 500 uptime reports with long messages is taken, and never logs the token", async () => {
    rt = await start();
    const counts = await flood(500, 25, (i) =>
      fetch(`${rt!.url}/webhooks/uptime/site-uptime?token=${UPTIME_TOKEN}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ up: i % 2 === 0, message: `report ${i} ${"x".repeat(5000)}` }),
      }),
    );
    expect(counts).toEqual({ 202: 500 });
    expect(rt.logs()).not.toContain(UPTIME_TOKEN);
  });
});

describe("what an uptime service says is stored without any secret the runtime knows", () => {
  const API_TOKEN = "canary-api-token-5f0e2b7c";
  const SIGNING_KEY = "canary-signing-key-c41d9a";

  it("the API token and the PagerDuty signing key in a report's message never reach the API or the pages", async () => {
    rt = await startHttpRuntime({
      monitors,
      secrets: ["HEARTBEAT_TOKEN", "UPTIME_TOKEN"],
      env: { HEARTBEAT_TOKEN, UPTIME_TOKEN, WATCHKEEPER_API_TOKEN: API_TOKEN, PAGERDUTY_WEBHOOK_SECRET: SIGNING_KEY },
      runtime: { openReads: true },
    });
    const message = `checkout down; debug: ${API_TOKEN} ${SIGNING_KEY} ${UPTIME_TOKEN}`;
    const sent = await fetch(`${rt.url}/webhooks/uptime/site-uptime`, { method: "POST", headers: { "x-watchkeeper-token": UPTIME_TOKEN, "content-type": "application/json" }, body: JSON.stringify({ up: false, message }) });
    expect(sent.status).toBe(202);
    await rt.runtime.tickNow("site-uptime");
    const api = await (await fetch(`${rt.url}/api/monitors/site-uptime`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
    const page = await (await fetch(`${rt.url}/monitors/site-uptime`)).text();
    expect(api).toContain("checkout down");
    for (const shown of [api, page, rt.logs()]) {
      for (const secret of [API_TOKEN, SIGNING_KEY, UPTIME_TOKEN]) expect(shown).not.toContain(secret);
    }
  });
});
