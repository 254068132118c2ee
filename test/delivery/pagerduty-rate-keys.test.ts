import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF } from "../../runtime/notify/backoff.js";
import { pagerDutyIncidentNotifier } from "../../runtime/notify/channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { pagerDutyNotifier } from "../../runtime/notify/channels/pagerduty/pagerduty-notifier.js";
import { routingKeyRef } from "../../runtime/notify/channels/pagerduty/routing-key-ref.js";
import type { StageContext } from "../../runtime/notify/pipeline.js";
import { RateLimiter } from "../../runtime/notify/rate-limiter.js";
import { retryStage, type RetryStageDeps } from "../../runtime/notify/stages/retry-stage.js";
import { DEFAULT_RATE_PER_MINUTE, type Destination, type Notification, type Notifier } from "../../runtime/notify/types.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor } from "./support/harness.js";
import { testChannel, testManifest } from "./support/manifest.js";

// PagerDuty counts Events per routing key and REST calls per API key. The retry stage takes a
// token from the bucket PagerDuty will count each request against, for every request it makes.

const logger = pino({ level: "silent" });
const NOW = Date.parse("2026-03-01T12:00:00Z");
const manifest = testManifest({ monitors: [] });
const ctx = (): StageContext => ({ now: NOW, logger, drop: () => undefined });

function item(destinationId: string, intent: Notification["intent"]): Notification {
  const destination: Destination = { id: destinationId, kind: "service", serviceId: destinationId.slice("service:".length) };
  return { intent, destination, notBefore: NOW, deliveryId: null, attempts: 0, firstDueAt: NOW, outcome: null };
}

function deps(notifierFor: (d: Destination) => Notifier, over: Partial<RetryStageDeps>): RetryStageDeps {
  return {
    notifierFor,
    messageFor: () => ({ manifest, monitor: null }),
    secret: () => undefined,
    secretValues: () => [],
    log: { lastSent: () => null },
    limiter: new RateLimiter(),
    ratePerMinute: () => 600,
    policy: DEFAULT_BACKOFF,
    random: () => 0.5,
    sendTimeoutMs: 5_000,
    clock: () => NOW,
    stopSignal: new AbortController().signal,
    logger,
    ...over,
  };
}

describe("PagerDuty Events rate buckets after a routing key rotation", () => {
  const OLD = "a".repeat(32);
  const NEW = "b".repeat(32);
  const sent: string[] = [];
  // The real notifier's rate key; the request itself is recorded, not sent.
  const real = pagerDutyNotifier({ kind: "pagerdutyService", baseUrl: "http://127.0.0.1:9", routingKey: () => ({ key: NEW, previous: [OLD] }) });
  const notifier: Notifier = { ...real, send: async (intent) => (sent.push(intent.dedupKey), { ok: true, status: 202, answer: "" }) };

  it("a resolve that goes with the rotated-out key is counted against that key, not the current one", async () => {
    // One event a minute per key: the current key's allowance is spent by a new trigger.
    const log = { lastSent: (dedupKey: string) => (dedupKey === "wk-old-alert" ? { state: "trigger", ref: routingKeyRef(OLD) } : null) };
    const stage = retryStage(deps(() => notifier, { log, ratePerMinute: () => 1 }));
    const out = await stage(ctx(), [
      item("service:web", intentFor("new-alert", "trigger")),
      item("service:web", intentFor("old-alert", "resolve")),
      item("service:web", intentFor("another-alert", "trigger")),
    ]);
    expect(out.map((o) => o.outcome!.kind)).toEqual(["sent", "sent", "deferred"]);
    expect(sent).toEqual(["wk-new-alert", "wk-old-alert"]);
  });
});

describe("PagerDuty REST calls against the API key's limit", () => {
  const TOKEN = "pd-rest-token-rate-0001";
  const OTHER_TOKEN = "pd-rest-token-rate-0002";
  const SERVICE = "PSVC001";
  const pd = new PagerDutyServer();
  beforeAll(() => pd.start());
  afterAll(async () => {
    expect(pd.rejections()).toEqual([]);
    await pd.stop();
  });

  const channel = (id: string, secret: string) =>
    testChannel(id, "pagerdutyIncident", { token: { secret }, from: "oncall@example.com", service: SERVICE, urgency: "high", baseUrl: pd.url }) as Extract<
      ReturnType<typeof testChannel>,
      { kind: "pagerdutyIncident" }
    >;
  const notifierFor = (d: Destination): Notifier => {
    const id = d.id.slice("service:".length);
    return pagerDutyIncidentNotifier(channel(id, id === "incident-c" ? "PD_C" : id === "incident-b" ? "PD_B" : "PD_A"), { baseUrl: pd.url, serviceId: () => ({ id: SERVICE }) });
  };
  const secret = (name: string) => (name === "PD_C" ? OTHER_TOKEN : TOKEN);
  const stage = (perMinute: number) => retryStage(deps(notifierFor, { secret, secretValues: () => [TOKEN, OTHER_TOKEN], ratePerMinute: () => perMinute }));

  it("an acknowledge whose incident id is unknown counts its lookup as well as its update", async () => {
    // Two incidents open whose ids the runtime never learnt (their creates' answers were lost).
    for (const key of ["wk-lost-1", "wk-lost-2"]) {
      const res = await fetch(`${pd.url}/incidents`, {
        method: "POST",
        headers: { authorization: `Token token=${TOKEN}`, accept: "application/vnd.pagerduty+json;version=2", "content-type": "application/json", from: "oncall@example.com" },
        body: JSON.stringify({ incident: { type: "incident", title: key, service: { id: SERVICE, type: "service_reference" }, incident_key: key } }),
      });
      expect(res.status).toBe(201);
    }
    const before = pd.received.length;
    const out = await stage(3)(ctx(), [item("service:incident-a", intentFor("lost-1", "acknowledge")), item("service:incident-a", intentFor("lost-2", "acknowledge"))]);
    // The first acknowledge makes two calls (GET /incidents, then PUT); the second would be the fourth call of the minute.
    expect(out.map((o) => o.outcome!.kind)).toEqual(["sent", "deferred"]);
    expect(pd.received.slice(before).map((r) => r.method)).toEqual(["GET", "PUT"]);
  });

  it("channels that share an API token share its bucket; another token has its own", async () => {
    const out = await stage(2)(ctx(), [
      item("service:incident-a", intentFor("shared-1", "resolve")),
      item("service:incident-b", intentFor("shared-2", "resolve")),
      item("service:incident-c", intentFor("own-1", "resolve")),
    ]);
    // Each resolve looks its incident up (none open: nothing to update), and takes two tokens for it.
    expect(out.map((o) => o.outcome!.kind)).toEqual(["sent", "deferred", "sent"]);
  });

  it("the default limit is PagerDuty's published 960 REST requests a minute per API key", () => {
    expect(DEFAULT_RATE_PER_MINUTE.pagerdutyIncident).toBe(960);
  });
});
