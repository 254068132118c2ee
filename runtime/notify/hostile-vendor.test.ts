import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { makeHarness, intentFor, until, type Harness } from "../../test/delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../../test/delivery/support/manifest.js";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "./backoff.js";
import { ANSWER_LIMIT_BYTES, sendHttp } from "./http-send.js";

/** A vendor on loopback that answers however the test says, and counts what it was sent (POSTs: a lookup is not a send). */
async function vendor(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === "POST") requests++;
    req.resume();
    req.on("end", () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes the body as fast as the reader takes it, forever. */
function endless(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, "a");
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
  };
  res.on("drain", pump);
  pump();
}

/** Writes one byte now and then, forever. */
function dripped(res: ServerResponse): void {
  res.write("{");
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(" ")), 100);
  res.on("close", () => clearInterval(timer));
}

const webhookManifest = (url: string) =>
  testManifest({
    monitors: [testMonitor("api", { channels: ["hook"] })],
    channels: [testChannel("hook", "webhook", { url, headers: {}, hmacSecret: null })],
  });

describe("a hostile or broken vendor", () => {
  let h: Harness | null = null;
  let closeVendor: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await h?.destroy();
    await closeVendor?.();
    h = null;
    closeVendor = null;
  });

  it("reads at most ANSWER_LIMIT_BYTES of an answer that never ends, and takes the vendor's 2xx as its verdict", async () => {
    const v = await vendor((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" });
      endless(res);
    });
    closeVendor = v.close;
    const before = process.memoryUsage().rss;
    const result = await sendHttp({ method: "POST", url: `${v.url}/v2/enqueue`, headers: {}, body: "{}" }, AbortSignal.timeout(3_000), Date.now());
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(result.answer.length).toBeLessThanOrEqual(ANSWER_LIMIT_BYTES);
    // Reading on until the timeout held hundreds of megabytes.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("delivers once to a vendor that accepts and then streams an endless answer", async () => {
    const v = await vendor((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      endless(res);
    });
    closeVendor = v.close;
    h = makeHarness({ manifest: webhookManifest(`${v.url}/hook`), secrets: {}, options: { sendTimeoutMs: 1_000 } });
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h!.deliveries.recent(1)[0]?.status === "sent", 8_000, "the delivery to be sent");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(v.requests()).toBe(1);
  });

  it("delivers once to a vendor that accepts and then drips its answer forever (no repeated messages)", async () => {
    const v = await vendor((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" });
      dripped(res);
    });
    closeVendor = v.close;
    h = makeHarness({ manifest: webhookManifest(`${v.url}/hook`), secrets: {}, options: { sendTimeoutMs: 500 } });
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h!.deliveries.recent(1)[0]?.status === "sent", 8_000, "the delivery to be sent");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(v.requests()).toBe(1);
    expect(h.deliveries.recent(1)[0]).toMatchObject({ status: "sent", vendorStatus: 202 });
  });

  it("keeps a 5xx retryable when its body breaks off", async () => {
    const v = await vendor((req, res) => {
      res.writeHead(503, { "content-type": "text/plain", "content-length": "1000" });
      res.write("upstream down");
      setTimeout(() => req.socket.destroy(), 50);
    });
    closeVendor = v.close;
    const result = await sendHttp({ method: "POST", url: `${v.url}/x`, headers: {}, body: "{}" }, AbortSignal.timeout(3_000), Date.now());
    expect(result).toMatchObject({ ok: false, status: 503, failure: { retryable: true } });
  });

  it.each([
    ["an object", { x: 1 }],
    ["an array", ["P1", "P2"]],
  ])("opens one PagerDuty incident when the vendor answers with an incident id that is %s", async (_what, id) => {
    const v = await vendor((req, res) => {
      if (req.method === "POST") res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ incident: { id } }));
      else res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    closeVendor = v.close;
    h = makeHarness({
      manifest: testManifest({
        monitors: [testMonitor("manual-page", { channels: ["incident"] })],
        channels: [testChannel("incident", "pagerdutyIncident", { token: { secret: "PD" }, from: "oncall@example.com", service: "PSVC001", urgency: "high", baseUrl: v.url })],
        secrets: ["PD"],
      }),
      secrets: { PD: "pd-token" },
    });
    h.delivery.start();
    h.enqueue(intentFor("manual-page", "trigger"));
    const tried = () => h!.deliveries.recent(1).some((d) => d.status !== "pending" || d.lastError !== null);
    await until(tried, 8_000, "the trigger to be tried");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.deliveries.recent(1)[0]).toMatchObject({ status: "sent", vendorStatus: 201 });
    expect(v.requests()).toBe(1);
  });

  it.each([
    ["an HTTP date in the year 9999", "Fri, 31 Dec 9999 23:59:59 GMT"],
    ["more seconds than a number holds", "9".repeat(400)],
    ["a billion seconds", "1000000000"],
  ])("a 429 whose Retry-After is %s holds pages for at most MAX_RETRY_AFTER_MS", async (_what, retryAfter) => {
    let throttle = true;
    const v = await vendor((_req, res) => {
      if (throttle) res.writeHead(429, { "retry-after": retryAfter }).end("slow down");
      else res.writeHead(200).end("ok");
    });
    closeVendor = v.close;
    h = makeHarness({ manifest: webhookManifest(`${v.url}/hook`), secrets: {} });
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h!.deliveries.recent(1)[0]?.lastError !== null && h!.deliveries.recent(1)[0]?.lastError !== undefined, 8_000, "the 429 to be recorded");
    throttle = false;
    const [delivery] = h.deliveries.recent(1);
    expect(delivery).toMatchObject({ status: "pending", vendorStatus: 429 });
    expect(delivery!.nextAttemptAt).toBeLessThanOrEqual(Date.now() + MAX_RETRY_AFTER_MS);
  });

  it("reads Retry-After within [0, MAX_RETRY_AFTER_MS] whatever the vendor writes", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    for (const value of ["9".repeat(400), "Fri, 31 Dec 9999 23:59:59 GMT", "86400", "275760"]) {
      expect(parseRetryAfter(value, now)).toBe(MAX_RETRY_AFTER_MS);
    }
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("-5", now)).toBe(0);
    expect(parseRetryAfter("2", now)).toBe(2_000);
  });
});
