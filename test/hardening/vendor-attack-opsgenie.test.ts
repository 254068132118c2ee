import { afterEach, describe, expect, it } from "vitest";
import { opsgenieNotifier } from "../../runtime/notify/channels/opsgenie/opsgenie-notifier.js";
import { pino } from "pino";
import { DEFAULT_BACKOFF } from "../../runtime/notify/backoff.js";
import { RateLimiter } from "../../runtime/notify/rate-limiter.js";
import { retryStage } from "../../runtime/notify/stages/retry-stage.js";
import type { Notification, SendResult } from "../../runtime/notify/types.js";
import { intentFor, makeHarness, until, type Harness } from "../delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";
import { OpsgenieServer, type ProcessingDelays } from "../support/vendors/opsgenie-server.js";

// OpsGenie's Alert API answers 202 and processes requests asynchronously
// (https://docs.opsgenie.com/docs/alert-api, "Get Request Status"): a 202 is not yet an alert.

const KEY = "og-key-canary-5521";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function opsgenie(processingMs: ProcessingDelays): Promise<OpsgenieServer> {
  const og = new OpsgenieServer({ apiKey: KEY, processingMs });
  await og.start();
  cleanups.push(() => og.stop());
  return og;
}

function channel(og: OpsgenieServer) {
  return testChannel("og", "opsgenie", { apiKey: { secret: "OG_KEY" }, region: "us", responders: [], tags: [], baseUrl: og.url }) as Extract<ReturnType<typeof testChannel>, { kind: "opsgenie" }>;
}

function harness(og: OpsgenieServer): Harness {
  const h = makeHarness({
    manifest: testManifest({ monitors: [testMonitor("api", { channels: ["og"] })], channels: [channel(og)], secrets: ["OG_KEY"] }),
    secrets: { OG_KEY: KEY },
  });
  cleanups.push(() => h.destroy());
  h.delivery.start();
  return h;
}

describe("a close that reaches OpsGenie before its alert exists", () => {
  it("a resolve sent right after its trigger still closes the alert when OpsGenie is slow to create it", async () => {
    const og = await opsgenie({ create: 600 });
    const h = harness(og);
    h.enqueue(intentFor("api", "trigger"));
    h.enqueue(intentFor("api", "resolve"));
    await until(() => og.alerts.get("wk-api")?.status === "closed", 10_000).catch(() => undefined);
    expect({ alert: og.alerts.get("wk-api")?.status, requests: [...og.requests.values()].map((r) => `${r.action}: ${r.status}`) }).toEqual({ alert: "closed", requests: ["Create: Created alert", "Close: Closed alert"] });
    await until(() => h.deliveries.forAlert("wk-api").every((d) => d.status === "sent"), 5_000, "both deliveries recorded as sent");
  }, 20_000);

  it("a trigger right after a resolve (a flapping check) opens a new alert when OpsGenie is slow to close", async () => {
    const og = await opsgenie({ close: 600 });
    const h = harness(og);
    h.enqueue(intentFor("api", "trigger"));
    h.enqueue(intentFor("api", "resolve"));
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.deliveries.forAlert("wk-api").every((d) => d.status === "sent") && og.requests.size === 3, 10_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 700));
    expect({ alert: og.alerts.get("wk-api")?.status, requests: [...og.requests.values()].map((r) => `${r.action}: ${r.status}`) }).toEqual({
      alert: "open",
      requests: ["Create: Created alert", "Close: Closed alert", "Create: Created alert"],
    });
  }, 20_000);

  it("an acknowledgement waits for its alert the same way", async () => {
    const og = await opsgenie({ create: 600 });
    const h = harness(og);
    h.enqueue(intentFor("api", "trigger"));
    h.enqueue(intentFor("api", "acknowledge", { acknowledgedBy: "Ada" }));
    await until(() => og.alerts.get("wk-api")?.status === "acked", 10_000).catch(() => undefined);
    expect({ alert: og.alerts.get("wk-api")?.status, requests: [...og.requests.values()].map((r) => `${r.action}: ${r.status}`) }).toEqual({ alert: "acked", requests: ["Create: Created alert", "Acknowledge: Acknowledged alert"] });
  }, 20_000);
});

describe("a create OpsGenie accepts and then discards", () => {
  it("fails its delivery at once with OpsGenie's reason, logged, without waiting for the alert's next request", async () => {
    const og = await opsgenie({});
    og.failProcessing(1, "Alert is discarded by alert policy [night mute]");
    const h = harness(og);
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.deliveries.forAlert("wk-api").some((d) => d.status === "failed"), 10_000, "the discarded create's delivery failed");
    const [delivery] = h.deliveries.forAlert("wk-api");
    expect(delivery).toMatchObject({ status: "failed", attempts: 1 });
    expect(delivery!.lastError).toContain("Create failed at OpsGenie: Alert is discarded by alert policy [night mute]");
    const logged = h.lines.map((line) => JSON.parse(line) as { msg: string; reason?: string }).find((line) => line.msg === "notification failed, given up");
    expect(logged?.reason).toContain("Alert is discarded by alert policy [night mute]");
    expect(h.lines.join("\n")).not.toContain(KEY);
    // Once: a create OpsGenie discards by policy is discarded again, and is not sent again.
    expect(og.received.filter((r) => r.method === "POST" && r.path === "/v2/alerts")).toHaveLength(1);
  }, 20_000);

  it("a create still being processed when the confirmation reads are over counts as sent", async () => {
    const og = await opsgenie({ create: 60_000 });
    const result = await opsgenieNotifier(channel(og), { confirmCreateAfterMs: [0, 10] }).send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [] }), monitor: null }, { signal: AbortSignal.timeout(5_000), secret: () => KEY, previousRef: null, now: Date.now() });
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(og.received.filter((r) => r.method === "GET")).toHaveLength(2);
  });

  it("a create processed successfully counts as sent after one confirmation read", async () => {
    const og = await opsgenie({});
    const result = await opsgenieNotifier(channel(og), { confirmCreateAfterMs: [0, 10] }).send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [] }), monitor: null }, { signal: AbortSignal.timeout(5_000), secret: () => KEY, previousRef: null, now: Date.now() });
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(og.received.filter((r) => r.method === "GET")).toHaveLength(1);
  });
});

describe("the request id of the last request", () => {
  async function send(og: OpsgenieServer, type: "trigger" | "resolve", previousRef: string | null, now = Date.now(), confirmCreateAfterMs: number[] = []): Promise<SendResult> {
    const notifier = opsgenieNotifier(channel(og), { confirmCreateAfterMs });
    return notifier.send(intentFor("api", type), { manifest: testManifest({ monitors: [] }), monitor: null }, { signal: AbortSignal.timeout(5_000), secret: () => KEY, previousRef, now });
  }

  it("a create keeps OpsGenie's request id as its reference", async () => {
    const og = await opsgenie({});
    const result = await send(og, "trigger", null);
    expect(result).toMatchObject({ ok: true, status: 202 });
    const ref = result.ok ? result.ref : null;
    expect(og.requests.has(ref!.split("@")[0]!)).toBe(true);
  });

  it("a close is not sent while the create is still being processed, and is retried", async () => {
    const og = await opsgenie({ create: 60_000 });
    const trigger = await send(og, "trigger", null);
    const result = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
    expect(og.received.filter((r) => r.path.endsWith("/close"))).toEqual([]);
  });

  it("a create that OpsGenie accepted and then failed is named in the next delivery's answer", async () => {
    const og = await opsgenie({});
    og.failProcessing(1, "Alert is discarded by alert policy [night mute]");
    const trigger = await send(og, "trigger", null);
    expect(trigger).toMatchObject({ ok: true, status: 202 });
    const result = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(result.answer).toContain("Create failed at OpsGenie: Alert is discarded by alert policy [night mute]");
  });

  it("a key that may not read request statuses (403) does not hold the close back", async () => {
    const og = await opsgenie({});
    const trigger = await send(og, "trigger", null);
    og.failNext(1, { status: 403, body: { message: "You are not authorized for this request.", took: 0 } });
    const result = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(og.alerts.get("wk-api")?.status).toBe("closed");
  });

  it("a 429 or a 5xx on the request-status read holds the close back and is retried (Retry-After kept), never taken as done", async () => {
    for (const fault of [
      { status: 429, headers: { "retry-after": "7" }, body: { message: "You are making too many requests!", took: 0 } },
      { status: 503, body: { message: "Service Unavailable", took: 0 } },
    ]) {
      const og = await opsgenie({ create: 60_000 });
      const trigger = await send(og, "trigger", null);
      og.failNext(1, fault);
      const result = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
      expect(result).toMatchObject({ ok: false, status: fault.status, failure: { retryable: true, reason: expect.stringContaining("could not say whether it has processed the previous request") } });
      if (fault.status === 429) expect(result.ok ? null : result.failure.retryAfterMs).toBe(7_000);
      expect(og.received.filter((r) => r.path.endsWith("/close"))).toEqual([]);
    }
  });

  it("OpsGenie's throttling window (X-RateLimit-Period-In-Sec) is the wait after a 429 on the status read or the request, when Retry-After is absent", async () => {
    const throttled = { status: 429, headers: { "x-ratelimit-state": "THROTTLED", "x-ratelimit-period-in-sec": "60" }, body: { message: "You are making too many requests!", took: 0 } };
    const og = await opsgenie({ create: 60_000 });
    const trigger = await send(og, "trigger", null);
    og.failNext(1, throttled);
    const read = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
    expect(read).toMatchObject({ ok: false, status: 429, failure: { retryable: true, retryAfterMs: 60_000 } });
    og.failNext(1, throttled);
    const create = await send(og, "trigger", null);
    expect(create).toMatchObject({ ok: false, status: 429, failure: { retryable: true, retryAfterMs: 60_000 } });
  });

  it("a network error on the request-status read holds the close back and is retried", async () => {
    const og = await opsgenie({});
    const trigger = await send(og, "trigger", null);
    await og.stop();
    const result = await send(og, "resolve", trigger.ok ? (trigger.ref ?? null) : null);
    expect(result).toMatchObject({ ok: false, status: null, failure: { retryable: true, reason: expect.stringContaining("could not say whether it has processed the previous request") } });
  });

  it("the status read counts against the OpsGenie rate limit: the runtime waits instead of OpsGenie answering 429", async () => {
    const now = Date.now();
    const og = new OpsgenieServer({ apiKey: KEY, perMinute: 4 });
    await og.start();
    cleanups.push(() => og.stop());
    const refs = new Map<string, string>();
    const destination = { id: "channel:og", kind: "channel" as const, channel: channel(og) };
    const stage = retryStage({
      notifierFor: () => opsgenieNotifier(channel(og), { confirmCreateAfterMs: [0] }),
      messageFor: () => ({ manifest: testManifest({ monitors: [] }), monitor: null }),
      secret: () => KEY,
      secretValues: () => [KEY],
      log: { lastSent: (dedupKey) => (refs.has(dedupKey) ? { state: "trigger", ref: refs.get(dedupKey)! } : null) },
      limiter: new RateLimiter(),
      ratePerMinute: () => 4,
      policy: DEFAULT_BACKOFF,
      random: () => 0.5,
      sendTimeoutMs: 5_000,
      clock: () => now,
      stopSignal: new AbortController().signal,
      logger: pino({ level: "silent" }),
    });
    const outcomes: string[] = [];
    // Create (create + its confirmation read), then close (status read + close), then a flapping
    // check's create (status read + create + confirmation read): 7 requests where OpsGenie allows 4.
    for (const type of ["trigger", "resolve", "trigger"] as const) {
      const item: Notification = { intent: intentFor("api", type), destination, notBefore: now, deliveryId: 1, attempts: 0, firstDueAt: now, outcome: null };
      const [out] = await stage({ now, logger: pino({ level: "silent" }), drop: () => {} }, [item]);
      outcomes.push(out!.outcome!.kind);
      if (out!.outcome!.kind === "sent" && out!.outcome!.ref) refs.set("wk-api", out!.outcome!.ref);
    }
    expect({ outcomes, requests: og.received.length, throttled: og.received.length - og.accepted().length }).toEqual({ outcomes: ["sent", "sent", "deferred"], requests: 4, throttled: 0 });
  });

  it("an old reference whose status OpsGenie no longer has does not hold the close back", async () => {
    const og = await opsgenie({});
    const result = await send(og, "resolve", `0b6f1e4c-9a57-4d52-9c2e-3f1b7c9d1a00@${Date.now() - 3_600_000}`);
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(og.received.filter((r) => r.path.endsWith("/close"))).toHaveLength(1);
  });

  it("a reference that is not ours (an older release's, or garbage) is ignored, never put in a URL", async () => {
    const og = await opsgenie({});
    const result = await send(og, "resolve", "../../v2/alerts?x=1");
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(og.received.filter((r) => r.method === "GET")).toEqual([]);
  });
});
