import { afterEach, describe, expect, it } from "vitest";
import { makeHarness, type Harness } from "../delivery/support/harness.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

/**
 * Anyone who reaches the runtime's port can send unsigned webhooks, wrong tokens and pings for
 * monitors that do not exist. Each is refused; a flood of them must not flood the log (and the
 * disk under it): the first of each kind is logged at once, the rest at most once a minute.
 */
describe("refusals anyone can cause are logged once a minute, not once a request", () => {
  let h: Harness;
  afterEach(async () => h?.destroy());

  const open = async () => {
    h = makeHarness({
      manifest: testManifest({
        monitors: [
          testMonitor("uptime", { check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } }),
          testMonitor("backup", { check: { kind: "heartbeat", every: "1h", grace: "5m", token: null } }),
          testMonitor("nightly", { check: { kind: "heartbeat", every: "1d", grace: "1h", token: { secret: "NIGHTLY_TOKEN" } } }),
        ],
        secrets: ["UPTIME_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "NIGHTLY_TOKEN"],
      }),
      secrets: { UPTIME_TOKEN: "uptime-token-123", PAGERDUTY_WEBHOOK_SECRET: "pd-secret" },
    });
    return h.serve();
  };

  const send = async (url: string, init: RequestInit, times: number) => {
    const statuses = new Set<number>();
    for (let i = 0; i < times; i++) {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      statuses.add(res.status);
    }
    return [...statuses];
  };

  it("logs one line for 200 unsigned PagerDuty webhooks, 200 wrong uptime tokens and 200 unknown heartbeat ids each", async () => {
    const base = await open();
    const body = JSON.stringify({ event: { id: "e1" } });
    expect(await send(`${base}/webhooks/pagerduty`, { method: "POST", body, headers: { "content-type": "application/json", "x-pagerduty-signature": "v1=00" } }, 200)).toEqual([401]);
    expect(await send(`${base}/webhooks/uptime/uptime`, { method: "POST", body: '{"up":false}', headers: { "content-type": "application/json", "x-watchkeeper-token": "wrong" } }, 200)).toEqual([401]);
    const long = "x".repeat(4000);
    expect(await send(`${base}/heartbeat/${long}`, { method: "POST" }, 200)).toEqual([404]);
    // A monitor whose token secret is not set yet refuses every ping; anyone may send them.
    expect(await send(`${base}/heartbeat/nightly`, { method: "POST" }, 200)).toEqual([503]);

    const count = (text: string) => h.lines.filter((l) => l.includes(text)).length;
    expect(count("PagerDuty webhook refused: missing or bad signature")).toBe(1);
    expect(count("uptime webhook refused: missing or wrong token")).toBe(1);
    expect(count("heartbeat for an unknown monitor id")).toBe(1);
    expect(count("heartbeat token secret is not set; ping refused")).toBe(1);
    // The request's id is cut in the line it does log.
    expect(h.lines.find((l) => l.includes("heartbeat for an unknown monitor id"))!.length).toBeLessThan(1000);
  });

  it("still answers a real ping and a real report after the flood", async () => {
    const base = await open();
    await send(`${base}/heartbeat/nope`, { method: "POST" }, 50);
    const ping = await fetch(`${base}/heartbeat/backup`, { method: "POST" });
    expect(ping.status).toBe(200);
    const report = await fetch(`${base}/webhooks/uptime/uptime`, { method: "POST", body: '{"up":false}', headers: { "content-type": "application/json", "x-watchkeeper-token": "uptime-token-123" } });
    expect(report.status).toBe(202);
  });
});
