import { classifyHttp } from "../../runtime/notify/http-send.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { retryDelayMs, parseRetryAfter, DEFAULT_BACKOFF } from "../../runtime/notify/backoff.js";
import { fanOut, inOrder, route, type Stage, type StageContext } from "../../runtime/notify/pipeline.js";
import { RateLimiter, type RateGate } from "../../runtime/notify/rate-limiter.js";
import { dedupReason, dedupStage } from "../../runtime/notify/stages/dedup-stage.js";
import { groupStage } from "../../runtime/notify/stages/group-stage.js";
import { inhibitStage } from "../../runtime/notify/stages/inhibit-stage.js";
import { retryStage, type RetryStageDeps } from "../../runtime/notify/stages/retry-stage.js";
import { routeStage } from "../../runtime/notify/stages/route-stage.js";
import { recordStage } from "../../runtime/notify/stages/record-stage.js";
import { silenceStage } from "../../runtime/notify/stages/silence-stage.js";
import type { Silence } from "../../runtime/notify/silences.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import type { Destination, Notification, Notifier, SendResult } from "../../runtime/notify/types.js";
import { intentFor } from "./support/harness.js";
import { testChannel, testManifest, testMonitor } from "./support/manifest.js";

const logger = pino({ level: "silent" });
const NOW = Date.parse("2026-03-01T12:00:00Z");

function ctx(now = NOW): StageContext & { dropped: { item: Notification; reason: string }[] } {
  const dropped: { item: Notification; reason: string }[] = [];
  return { now, logger, drop: (item, reason) => dropped.push({ item, reason }), dropped };
}

function unrouted(intent = intentFor("site", "trigger")): Notification {
  return { intent, destination: { id: "unrouted", kind: "unrouted" }, notBefore: NOW, deliveryId: null, attempts: 0, firstDueAt: NOW, outcome: null };
}

const slack = testChannel("ops-slack", "slack", { webhookUrl: { secret: "SLACK_URL" }, channel: null });
const customer = testChannel("customer-mail", "email", {
  smtp: { host: "127.0.0.1", port: 25, secure: false, user: null, password: null },
  from: "wk@example.com",
  to: ["customer@example.com"],
});
const grouped = testChannel("grouped", "slack", { webhookUrl: { secret: "SLACK_URL" }, channel: null, groupWait: "30s", groupInterval: "5m" });
const manifest = testManifest({
  monitors: [
    testMonitor("site", { service: "web", channels: ["ops-slack"], ackChannels: ["customer-mail"], inhibits: ["endpoint"], labels: { team: "web" } }),
    testMonitor("endpoint", { service: "web", channels: ["ops-slack", "grouped"] }),
  ],
  services: [
    { id: "web", name: "Web", description: null, escalationPolicy: "p", team: null, urgency: "high", autoResolveTimeout: null, acknowledgementTimeout: null, alertGrouping: null, routingKey: null, source: "s" },
    { id: "payments", name: "Payments", description: null, escalationPolicy: "p", team: null, urgency: "high", autoResolveTimeout: null, acknowledgementTimeout: null, alertGrouping: null, routingKey: null, source: "s" },
  ],
  channels: [slack, customer, grouped],
});

function destinationOf(id: string): Destination {
  const channel = manifest.channels.find((c) => `channel:${c.id}` === id);
  return channel ? { id, kind: "channel", channel } : { id, kind: "service", serviceId: id.slice("service:".length) };
}

function at(destinationId: string, intent = intentFor("site", "trigger")): Notification {
  return { ...unrouted(intent), destination: destinationOf(destinationId) };
}

describe("combinators", () => {
  const tag = (name: string): Stage => async (_c, items) => items.map((i) => ({ ...i, intent: { ...i.intent, summary: `${i.intent.summary}+${name}` } }));

  it("inOrder runs stages one after another and stops when nothing is left", async () => {
    const empty: Stage = async () => [];
    let reached = false;
    const spy: Stage = async (_c, items) => ((reached = true), items);
    const out = await inOrder(tag("a"), tag("b"))(ctx(), [unrouted()]);
    expect(out[0]!.intent.summary).toMatch(/\+a\+b$/);
    await inOrder(empty, spy)(ctx(), [unrouted()]);
    expect(reached).toBe(false);
  });

  it("fanOut gives every stage the same input and passes on all outputs", async () => {
    const out = await fanOut(tag("a"), tag("b"))(ctx(), [unrouted()]);
    expect(out.map((i) => i.intent.summary.split("+").pop())).toEqual(["a", "b"]);
  });

  it("route sends each item to the stage for its key and drops unknown keys with a reason", async () => {
    const c = ctx();
    const out = await route((i) => i.intent.monitorId, { site: tag("s") })(c, [unrouted(), unrouted(intentFor("other", "trigger"))]);
    expect(out).toHaveLength(1);
    expect(c.dropped[0]!.reason).toBe("no stage for other");
  });
});

describe("route stage", () => {
  it("routes a trigger to the service and the monitor's channels, not to ack channels", async () => {
    const out = await routeStage(manifest)(ctx(), [unrouted()]);
    expect(out.map((n) => n.destination.id).sort()).toEqual(["channel:ops-slack", "service:web"]);
  });

  it("routes an acknowledgement also to the ack channels (the customer's email)", async () => {
    const out = await routeStage(manifest)(ctx(), [unrouted(intentFor("site", "acknowledge", { acknowledgedBy: "Ada" }))]);
    expect(out.map((n) => n.destination.id).sort()).toEqual(["channel:customer-mail", "channel:ops-slack", "service:web"]);
  });

  it("sends a resolve and an acknowledgement also where the alert was paged before the monitor's routing changed", async () => {
    // The alert of "site" paged service:payments and the customer's email got an acknowledgement; "site" now routes to service:web.
    const sent = new Map([["wk-site\nservice:payments", "trigger"], ["wk-site\nchannel:customer-mail", "acknowledge"]]);
    const log = { lastSent: (key: string, destination: string) => (sent.has(`${key}\n${destination}`) ? { state: sent.get(`${key}\n${destination}`)! } : null) };
    const resolve = intentFor("site", "resolve");
    const out = await routeStage(manifest, log)(ctx(), [unrouted({ ...resolve, dedupKey: "wk-site" })]);
    expect(out.map((n) => n.destination.id).sort()).toEqual(["channel:ops-slack", "service:payments", "service:web"]);
    const ack = intentFor("site", "acknowledge", { acknowledgedBy: "Ada" });
    const acked = await routeStage(manifest, log)(ctx(), [unrouted({ ...ack, dedupKey: "wk-site" })]);
    expect(acked.map((n) => n.destination.id).sort()).toEqual(["channel:customer-mail", "channel:ops-slack", "service:payments", "service:web"]);
    // A trigger goes where the monitor routes now, and nowhere else.
    const trigger = await routeStage(manifest, log)(ctx(), [unrouted({ ...intentFor("site", "trigger"), dedupKey: "wk-site" })]);
    expect(trigger.map((n) => n.destination.id).sort()).toEqual(["channel:ops-slack", "service:web"]);
  });

  it("sends an intent that names its destinations (a deploy's reroute) there only, whatever the monitor routes to", async () => {
    const resolve = intentFor("site", "resolve", { onlyTo: ["service:payments"] });
    const out = await routeStage(manifest)(ctx(), [unrouted(resolve)]);
    expect(out.map((n) => n.destination.id)).toEqual(["service:payments"]);
    const c = ctx();
    expect(await routeStage(manifest)(c, [unrouted(intentFor("site", "trigger", { onlyTo: ["channel:gone"] }))])).toEqual([]);
    expect(c.dropped[0]!.reason).toMatch(/none of the destinations/);
  });

  it("drops intents of monitors that are not in the manifest", async () => {
    const c = ctx();
    expect(await routeStage(manifest)(c, [unrouted(intentFor("ghost", "trigger"))])).toEqual([]);
    expect(c.dropped[0]!.reason).toMatch(/not in the manifest/);
  });
});

describe("silence stage", () => {
  const silence = (matchers: Silence["matchers"], from = NOW - 1000, to = NOW + 1000): Silence => ({
    id: "s1", kind: "maintenance", origin: "manifest", comment: "", createdBy: "", startsAt: from, endsAt: to, matchers,
  });

  it("mutes a trigger inside a matching maintenance window", async () => {
    const c = ctx();
    const out = await silenceStage(manifest, { active: () => [silence({ monitors: [], services: ["web"], labels: {} })] })(c, [at("service:web")]);
    expect(out).toEqual([]);
    expect(c.dropped[0]!.reason).toBe("maintenance window s1");
  });

  it("lets resolves through so incidents opened before the silence still close", async () => {
    const out = await silenceStage(manifest, { active: () => [silence({ monitors: ["site"], services: [], labels: {} })] })(ctx(), [at("service:web", intentFor("site", "resolve"))]);
    expect(out).toHaveLength(1);
  });

  it("needs every label matcher to match", async () => {
    const active = () => [silence({ monitors: [], services: [], labels: { team: "web", region: "eu" } })];
    expect(await silenceStage(manifest, { active })(ctx(), [at("service:web")])).toHaveLength(1);
    const matching = intentFor("site", "trigger", { labels: { region: "eu" } });
    expect(await silenceStage(manifest, { active })(ctx(), [at("service:web", matching)])).toHaveLength(0);
  });
});

describe("inhibit stage", () => {
  it("mutes endpoint triggers while the site monitor fires, and lets their resolves through", async () => {
    const firing = new Set(["site"]);
    const stage = inhibitStage(manifest, { isMonitorFiring: (m) => firing.has(m) });
    const c = ctx();
    expect(await stage(c, [at("service:web", intentFor("endpoint", "trigger"))])).toEqual([]);
    expect(c.dropped[0]!.reason).toBe("inhibited while site fires");
    expect(await stage(ctx(), [at("service:web", intentFor("endpoint", "resolve"))])).toHaveLength(1);
    firing.clear();
    expect(await stage(ctx(), [at("service:web", intentFor("endpoint", "trigger"))])).toHaveLength(1);
  });
});

describe("group stage", () => {
  it("holds the first notification for groupWait and later ones until the next groupInterval", async () => {
    const stage = groupStage();
    const [first] = await stage(ctx(NOW), [at("channel:grouped", intentFor("endpoint", "trigger"))]);
    expect(first!.notBefore).toBe(NOW + 30_000);
    const [second] = await stage(ctx(NOW + 40_000), [at("channel:grouped", intentFor("endpoint", "resolve"))]);
    expect(second!.notBefore).toBe(NOW + 30_000 + 300_000);
    const [ungrouped] = await stage(ctx(NOW), [at("channel:ops-slack")]);
    expect(ungrouped!.notBefore).toBe(NOW);
  });
});

describe("dedup stage", () => {
  it("never sends the same state twice; reminders repeat; resolves need a sent trigger", () => {
    expect(dedupReason("trigger", null, false, false)).toBeNull();
    expect(dedupReason("trigger", "trigger", false, false)).toBe("already triggered");
    expect(dedupReason("remind", "trigger", false, false)).toBeNull();
    expect(dedupReason("trigger", "resolve", false, false)).toBeNull();
    expect(dedupReason("resolve", null, false, false)).toBe("no trigger was sent for this alert");
    expect(dedupReason("resolve", "trigger", false, false)).toBeNull();
    expect(dedupReason("resolve", "resolve", false, false)).toBe("no trigger was sent for this alert");
    expect(dedupReason("acknowledge", null, true, false)).toBeNull();
    expect(dedupReason("acknowledge", "acknowledge", true, false)).toBe("already acknowledged");
    expect(dedupReason("trigger", "trigger", false, true)).toBeNull();
  });

  it("reads the notification log per dedup key and destination", async () => {
    const log = new Map([["wk-site\u0000service:web", { state: "trigger", ref: null }]]);
    const stage = dedupStage(manifest, { lastSent: (k, d) => log.get(`${k}\u0000${d}`) ?? null });
    const c = ctx();
    const out = await stage(c, [at("service:web"), at("channel:ops-slack")]);
    expect(out.map((n) => n.destination.id)).toEqual(["channel:ops-slack"]);
    expect(c.dropped[0]!.reason).toBe("already triggered");
  });
});

describe("retry stage", () => {
  const fixed = (result: SendResult): Notifier => ({ kind: "slack", send: async () => result });
  const deps = (notifier: Notifier, over: Partial<RetryStageDeps> = {}): RetryStageDeps => ({
    notifierFor: () => notifier,
    messageFor: () => ({ manifest, monitor: null }),
    secret: () => undefined,
    secretValues: () => ["s3cr3t-canary"],
    log: { lastSent: () => null },
    limiter: new RateLimiter(),
    ratePerMinute: () => 600,
    policy: { ...DEFAULT_BACKOFF, initialMs: 1000, maxMs: 60_000 },
    random: () => 0.5,
    sendTimeoutMs: 1000,
    clock: () => NOW,
    stopSignal: new AbortController().signal,
    logger,
    ...over,
  });

  it("schedules a retryable failure with backoff and honours Retry-After", async () => {
    const [a] = await retryStage(deps(fixed({ ok: false, failure: { retryable: true, reason: "HTTP 500" }, status: 500, answer: "" })))(ctx(), [at("channel:ops-slack")]);
    expect(a!.outcome).toMatchObject({ kind: "retry", at: NOW + 750 });
    const [b] = await retryStage(deps(fixed({ ok: false, failure: { retryable: true, reason: "HTTP 429", retryAfterMs: 7000 }, status: 429, answer: "" })))(ctx(), [at("channel:ops-slack")]);
    expect(b!.outcome).toMatchObject({ kind: "retry", at: NOW + 7000 });
  });

  it("waits what the vendor's documents ask after a throttle it says nothing about, within the longest backoff", async () => {
    const throttled = fixed({ ok: false, failure: { retryable: true, reason: "HTTP 429", throttleWaitMs: 30_000 }, status: 429, answer: "" });
    const [a] = await retryStage(deps(throttled))(ctx(), [at("channel:ops-slack")]);
    expect(a!.outcome).toMatchObject({ kind: "retry", at: NOW + 30_000 });
    const [b] = await retryStage(deps(throttled, { policy: { ...DEFAULT_BACKOFF, initialMs: 50, maxMs: 400 } }))(ctx(), [at("channel:ops-slack")]);
    expect(b!.outcome).toMatchObject({ kind: "retry", at: NOW + 400 });
  });

  it("reads PagerDuty's REST throttle from ratelimit-reset when no Retry-After comes", () => {
    const rest = classifyHttp({ status: 429, headers: { "ratelimit-reset": "20" }, body: "{}" }, NOW);
    expect(rest).toMatchObject({ ok: false, failure: { retryable: true, retryAfterMs: 20_000 } });
    expect(classifyHttp({ status: 500, headers: { "ratelimit-reset": "20" }, body: "" }, NOW)).toMatchObject({ ok: false, failure: { retryable: true } });
    expect((classifyHttp({ status: 500, headers: { "ratelimit-reset": "20" }, body: "" }, NOW) as { failure: { retryAfterMs?: number } }).failure.retryAfterMs).toBeUndefined();
  });

  it("fails a non-retryable failure at once and redacts secrets from the reason", async () => {
    const [a] = await retryStage(deps(fixed({ ok: false, failure: { retryable: false, reason: "bad key s3cr3t-canary" }, status: 400, answer: "echo s3cr3t-canary" })))(ctx(), [at("channel:ops-slack")]);
    expect(a!.outcome).toEqual({ kind: "failed", reason: "bad key [redacted]", status: 400, answer: "echo [redacted]" });
  });

  it("gives up on retryable failures after the give-up time", async () => {
    const item = { ...at("channel:ops-slack"), firstDueAt: NOW - DEFAULT_BACKOFF.giveUpAfterMs - 1_000, firstFailedAt: NOW - DEFAULT_BACKOFF.giveUpAfterMs, attempts: 40 };
    const [a] = await retryStage(deps(fixed({ ok: false, failure: { retryable: true, reason: "HTTP 503" }, status: 503, answer: "" })))(ctx(), [item]);
    expect(a!.outcome).toMatchObject({ kind: "failed", reason: "gave up after 41 attempts: HTTP 503" });
  });

  it("counts the give-up time from the first failure, not from when the delivery became due", async () => {
    // Due a day and more ago: it waited for its routing key to be set, or for a runtime that was down.
    const waited = { ...at("channel:ops-slack"), firstDueAt: NOW - DEFAULT_BACKOFF.giveUpAfterMs - 3_600_000, attempts: 0 };
    const unavailable = fixed({ ok: false, failure: { retryable: true, reason: "HTTP 503" }, status: 503, answer: "" });
    const [a] = await retryStage(deps(unavailable))(ctx(), [waited]);
    expect(a!.outcome).toMatchObject({ kind: "retry", reason: "HTTP 503" });
    const [b] = await retryStage(deps(unavailable))(ctx(), [{ ...waited, attempts: 5, firstFailedAt: NOW - 60_000 }]);
    expect(b!.outcome).toMatchObject({ kind: "retry", reason: "HTTP 503" });
  });

  it("defers without an attempt when the destination's rate limit is used up", async () => {
    let calls = 0;
    const notifier: Notifier = { kind: "slack", send: async () => ((calls++), { ok: true, status: 200, answer: "ok" }) };
    const stage = retryStage(deps(notifier, { ratePerMinute: () => 2 }));
    const out = await stage(ctx(), [at("channel:ops-slack"), at("channel:ops-slack"), at("channel:ops-slack")]);
    expect(out.map((o) => o.outcome!.kind)).toEqual(["sent", "sent", "deferred"]);
    expect(calls).toBe(2);
  });

  it("counts the rate limit by the vendor's key when destinations share one (a PagerDuty routing key)", async () => {
    const notifier: Notifier = { kind: "pagerdutyService", rateKey: () => "pagerduty:shared", send: async () => ({ ok: true, status: 202, answer: "" }) };
    const out = await retryStage(deps(notifier, { ratePerMinute: () => 1 }))(ctx(), [at("service:web"), at("channel:ops-slack")]);
    expect(out.map((o) => o.outcome!.kind)).toEqual(["sent", "deferred"]);
  });

  it("holds every send to the same rate key for as long as a vendor's Retry-After asks", async () => {
    const limiter = new RateLimiter();
    const throttled = retryStage(deps(fixed({ ok: false, failure: { retryable: true, reason: "HTTP 429", retryAfterMs: 7000 }, status: 429, answer: "" }), { limiter }));
    await throttled(ctx(), [at("channel:ops-slack")]);
    const [other] = await retryStage(deps(fixed({ ok: true, status: 200, answer: "ok" }), { limiter }))(ctx(), [at("channel:ops-slack")]);
    expect(other!.outcome).toMatchObject({ kind: "deferred", at: NOW + 7000 });
    expect(limiter.take("channel:ops-slack", 600, NOW + 7000)).toEqual({ ok: true });
  });

  it("takes a rate-limit token at the time of the send, not when the batch began", async () => {
    // The notification log answers slowly (a loaded Redis): a token counted 2 s early would let the
    // send after it through 2 s before the window really moved on.
    let now = NOW;
    const takes: number[] = [];
    const limiter: RateGate = {
      take: (_key, _perMinute, at) => (takes.push(at), takes.length === 1 ? { ok: true } : { ok: false, waitMs: 500 }),
      holdOff: () => undefined,
    };
    const slowLog = { lastSent: () => ((now += 2_000), null) };
    const stage = retryStage(deps(fixed({ ok: true, status: 200, answer: "ok" }), { limiter, log: slowLog, clock: () => now }));
    const [sent] = await stage(ctx(), [at("channel:ops-slack")]);
    expect(sent!.outcome).toMatchObject({ kind: "sent" });
    const [deferred] = await stage(ctx(), [at("channel:ops-slack")]);
    expect(takes).toEqual([NOW + 2_000, NOW + 4_000]);
    expect(deferred!.outcome).toMatchObject({ kind: "deferred", at: NOW + 4_500 });
  });

  it("waits for a missing secret instead of failing", async () => {
    const [a] = await retryStage(deps(fixed({ ok: false, failure: { retryable: true, reason: "not available: X", missingSecret: "X" }, status: null, answer: "" })))(ctx(), [at("channel:ops-slack")]);
    expect(a!.outcome).toMatchObject({ kind: "deferred", at: NOW + DEFAULT_BACKOFF.missingSecretWaitMs });
  });
});

describe("backoff and rate limits", () => {
  it("grows exponentially with jitter up to the cap", () => {
    const policy = { ...DEFAULT_BACKOFF, initialMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n, undefined, () => 0.999))).toEqual([1000, 1999, 3998, 7996, 7996]);
    expect(retryDelayMs(policy, 3, undefined, () => 0)).toBe(2000);
  });

  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("3", NOW)).toBe(3000);
    expect(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW)).toBe(5000);
    expect(parseRetryAfter("soon", NOW)).toBeUndefined();
  });

  it("refills tokens over time", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 120; i++) expect(limiter.take("k", 120, NOW).ok).toBe(true);
    expect(limiter.take("k", 120, NOW)).toEqual({ ok: false, waitMs: 500 });
    expect(limiter.take("k", 120, NOW + 500).ok).toBe(true);
  });
});

describe("record stage", () => {
  it("writes the outcome to the delivery row and a sent state to the notification log, together", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-record-stage-"));
    const store = SqliteStore.open(dir, NOW);
    try {
      const trigger = intentFor("site", "trigger");
      const resolve = intentFor("site", "resolve");
      for (const intent of [trigger, resolve]) {
        const seq = store.enqueue(intent);
        store.dispatchIntent({ seq, intent, createdAt: NOW }, [{ destination: "service:web", status: "pending", due: NOW, reason: null }], NOW);
      }
      // Only the oldest pending row per (dedup key, destination) is eligible.
      const heads = store.dueHeads(NOW, 10);
      expect(heads.map((r) => r.intent.id)).toEqual([trigger.id]);
      const first = heads[0]!;

      const sent: Notification = { ...at("service:web", trigger), deliveryId: first.id, outcome: { kind: "retry", at: NOW + 1000, reason: "HTTP 503", status: 503, answer: "down" } };
      await recordStage(store)(ctx(), [sent]);
      expect(store.deliveriesForAlert(trigger.dedupKey)[0]).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: NOW + 1000, lastError: "HTTP 503" });
      expect(store.dueHeads(NOW, 10)).toEqual([]);
      expect(store.lastSent(trigger.dedupKey, "service:web")).toBeNull();

      await recordStage(store)(ctx(NOW + 1000), [{ ...sent, attempts: 1, outcome: { kind: "sent", status: 202, answer: "ok", ref: null, at: NOW + 1000 } }]);
      expect(store.deliveriesForAlert(trigger.dedupKey)[0]).toMatchObject({ status: "sent", attempts: 2, vendorStatus: 202 });
      expect(store.lastSent(trigger.dedupKey, "service:web")).toEqual({ state: "trigger", ref: null });
      expect(store.dueHeads(NOW + 1000, 10).map((r) => r.intent.id)).toEqual([resolve.id]);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
