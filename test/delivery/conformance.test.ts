import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelSpec, Manifest } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { Destinations } from "../../runtime/notify/destinations.js";
import { KeyFile } from "../../runtime/notify/routing-keys.js";
import type { SendResult } from "../../runtime/notify/types.js";
import { OpsgenieServer, PagerDutyServer, SlackServer, SmtpFixture, WebhookReceiver, type RecordingServer } from "../support/vendors/index.js";
import { intentFor, makeHarness, routingKey, until } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";

/**
 * One suite, run against every channel (rejections echo the secret, as a misbehaving proxy might): the payload the vendor documents, failure classification
 * (rejected -> not retryable; throttled, unavailable, slow -> retryable), and no secret in logs,
 * errors or recorded answers.
 */
type Fault = "rejected" | "throttled" | "unavailable" | "slow";

interface Case {
  name: string;
  /** Destination id the monitor routes to. */
  destination: string;
  manifest(): Manifest;
  secrets(): Record<string, string>;
  env(): Record<string, string>;
  /** Secret values that must never leak. */
  canaries(): string[];
  inject(fault: Fault): void;
  heal(): void;
  /** Messages the vendor accepted. */
  accepted(): number;
  /** Asserts the last accepted message has the vendor's documented shape for this intent. */
  checkPayload(intent: NotificationIntent): void;
  /** Whether throttling carries a Retry-After the notifier must surface. */
  retryAfter: boolean;
}

const pd = new PagerDutyServer({ apiToken: "pd-api-token-canary-0001" });
const og = new OpsgenieServer({ apiKey: "og-key-canary-0002" });
const slack = new SlackServer();
const hook = new WebhookReceiver();
const smtp = new SmtpFixture({ user: "mailer", password: "smtp-pass-canary-0003" });
const servers: RecordingServer[] = [pd, og, slack, hook];

const PD_KEY = routingKey("canarykey0004");
const SVC_KEY = routingKey("canarysvc0005");
const SLACK_TOKEN = "slackcanary0006";
const HMAC = "hmac-canary-0007";
const HOOK_TOKEN = "hook-token-canary-0008";

const LONG = "Checkout API returns 503 for most requests ".repeat(40);

const monitorFor = (channels: string[], service: string | null = null) =>
  testMonitor("checkout", { channels, service, summary: LONG, diagnostics: [], labels: { region: "eu" } });

function withIntent(): NotificationIntent {
  return intentFor("checkout", "trigger", {
    summary: LONG,
    labels: { region: "eu" },
    details: { status: 503, latencyMs: 812, diagnostics: "DNS checkout.example.com A 10.0.0.7\nHTTP /health 503 in 812ms" },
  });
}

function http(server: RecordingServer, rejected: { status: number; body: unknown }, throttled: { status: number; body: unknown }) {
  return (fault: Fault) => {
    switch (fault) {
      case "rejected":
        return server.failNext(1, { ...rejected, body: typeof rejected.body === "string" ? rejected.body : rejected.body });
      case "throttled":
        return server.failNext(1, { ...throttled, headers: { "retry-after": "7" } });
      case "unavailable":
        return server.failNext(1, { status: 503, body: "upstream unavailable" });
      case "slow":
        return server.failNext(1, { status: 202, body: {}, delayMs: 1500 });
    }
  };
}

const cases: Case[] = [
  {
    name: "PagerDuty Events v2 (channel)",
    destination: "channel:pd",
    manifest: () =>
      testManifest({ monitors: [monitorFor(["pd"])], channels: [testChannel("pd", "pagerduty", { routingKey: { secret: "PD_KEY" }, baseUrl: pd.url })], secrets: ["PD_KEY"] }),
    secrets: () => ({ PD_KEY }),
    env: () => ({}),
    canaries: () => [PD_KEY],
    inject: http(pd, { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors: [`bad key ${PD_KEY}`] } }, { status: 429, body: {} }),
    heal: () => pd.heal(),
    accepted: () => pd.events().length,
    checkPayload: (intent) => {
      const e = pd.events().at(-1)!;
      const payload = e["payload"] as Record<string, unknown>;
      expect(e).toMatchObject({ routing_key: PD_KEY, event_action: "trigger", dedup_key: intent.dedupKey, client: "Watchkeeper" });
      expect((payload["summary"] as string).length).toBeLessThanOrEqual(1024);
      expect(payload).toMatchObject({ severity: "critical", source: "checkout.example.com", component: "checkout", class: "http", group: "team-a" });
      expect(payload["custom_details"]).toMatchObject({ check_result: { status: 503, latencyMs: 812 }, diagnostics: expect.stringContaining("HTTP /health 503") });
      expect(e["links"]).toEqual([
        { href: "https://runbooks.example.com/checkout", text: "Runbook" },
        { href: `https://status.example.com/alerts/${encodeURIComponent(intent.dedupKey)}`, text: "Alert page" },
      ]);
    },
    retryAfter: true,
  },
  {
    name: "PagerDuty Events v2 (service routing key)",
    destination: "service:shop",
    manifest: () => testManifest({ monitors: [monitorFor([], "shop")], services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })], secrets: ["SHOP_KEY"] }),
    secrets: () => ({ SHOP_KEY: SVC_KEY }),
    env: () => ({ WK_PAGERDUTY_EVENTS_URL: pd.url }),
    canaries: () => [SVC_KEY],
    inject: http(pd, { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors: [`routing key ${SVC_KEY}`] } }, { status: 429, body: {} }),
    heal: () => pd.heal(),
    accepted: () => pd.events().length,
    checkPayload: (intent) => {
      expect(pd.events().at(-1)).toMatchObject({ routing_key: SVC_KEY, event_action: "trigger", dedup_key: intent.dedupKey, payload: { group: "shop" } });
    },
    retryAfter: true,
  },
  {
    name: "PagerDuty REST incident",
    destination: "channel:pd-incident",
    manifest: () =>
      testManifest({
        monitors: [monitorFor(["pd-incident"])],
        channels: [testChannel("pd-incident", "pagerdutyIncident", { token: { secret: "PD_API" }, from: "oncall@example.com", service: "PSHOP01", urgency: "high", baseUrl: pd.url })],
        secrets: ["PD_API"],
      }),
    secrets: () => ({ PD_API: "pd-api-token-canary-0001" }),
    env: () => ({}),
    canaries: () => ["pd-api-token-canary-0001"],
    inject: http(pd, { status: 400, body: { error: { message: "Invalid Input Provided", code: 2001, errors: ["token pd-api-token-canary-0001"] } } }, { status: 429, body: {} }),
    heal: () => pd.heal(),
    accepted: () => pd.accepted().filter((r) => r.path === "/incidents").length,
    checkPayload: (intent) => {
      const req = pd.accepted().filter((r) => r.path === "/incidents").at(-1)!;
      expect(req.headers["authorization"]).toBe("Token token=pd-api-token-canary-0001");
      expect(req.headers["from"]).toBe("oncall@example.com");
      expect(req.headers["accept"]).toBe("application/vnd.pagerduty+json;version=2");
      expect(req.json).toMatchObject({ incident: { type: "incident", service: { id: "PSHOP01", type: "service_reference" }, incident_key: intent.dedupKey, urgency: "high" } });
    },
    retryAfter: true,
  },
  {
    name: "OpsGenie",
    destination: "channel:og",
    manifest: () =>
      testManifest({
        monitors: [monitorFor(["og"])],
        channels: [testChannel("og", "opsgenie", { apiKey: { secret: "OG_KEY" }, region: "eu", responders: [{ type: "team", name: "shop" }], tags: ["shop"], baseUrl: og.url })],
        secrets: ["OG_KEY"],
      }),
    secrets: () => ({ OG_KEY: "og-key-canary-0002" }),
    env: () => ({}),
    canaries: () => ["og-key-canary-0002"],
    inject: http(og, { status: 422, body: { message: "Request body is not processable for GenieKey og-key-canary-0002", took: 0 } }, { status: 429, body: { message: "too many" } }),
    heal: () => og.heal(),
    // Alerts, not the reads of their request status.
    accepted: () => og.accepted().filter((r) => r.method === "POST").length,
    checkPayload: (intent) => {
      const req = og.accepted().filter((r) => r.method === "POST").at(-1)!;
      expect(req.headers["authorization"]).toBe("GenieKey og-key-canary-0002");
      const body = req.json as Record<string, unknown>;
      expect(body).toMatchObject({ alias: intent.dedupKey, priority: "P1", responders: [{ type: "team", name: "shop" }], tags: ["shop"] });
      expect((body["message"] as string).length).toBeLessThanOrEqual(130);
    },
    retryAfter: true,
  },
  {
    name: "Slack",
    destination: "channel:slack",
    manifest: () => testManifest({ monitors: [monitorFor(["slack"])], channels: [testChannel("slack", "slack", { webhookUrl: { secret: "SLACK_URL" }, channel: null })], secrets: ["SLACK_URL"] }),
    secrets: () => ({ SLACK_URL: `${slack.url}/services/T0001/B0001/${SLACK_TOKEN}` }),
    env: () => ({}),
    canaries: () => [SLACK_TOKEN],
    inject: http(slack, { status: 400, body: `invalid_payload at /services/T0001/B0001/${SLACK_TOKEN}` }, { status: 429, body: "rate_limited" }),
    heal: () => slack.heal(),
    accepted: () => slack.messages().length,
    checkPayload: () => {
      const msg = slack.messages().at(-1)!;
      expect(msg["text"]).toMatch(/^\[FIRING\] Checkout API/);
      const blocks = msg["blocks"] as { type: string }[];
      expect(blocks.map((b) => b.type)).toEqual(["header", "section", "context", "section"]);
    },
    retryAfter: true,
  },
  {
    name: "generic webhook",
    destination: "channel:hook",
    manifest: () =>
      testManifest({
        monitors: [monitorFor(["hook"])],
        channels: [testChannel("hook", "webhook", { url: `${hook.url}/alerts`, headers: { authorization: { secret: "HOOK_TOKEN" } }, hmacSecret: { secret: "HOOK_HMAC" } })],
        secrets: ["HOOK_TOKEN", "HOOK_HMAC"],
      }),
    secrets: () => ({ HOOK_TOKEN, HOOK_HMAC: HMAC }),
    env: () => ({}),
    canaries: () => [HOOK_TOKEN, HMAC],
    inject: http(hook, { status: 400, body: `bad request with ${HOOK_TOKEN}` }, { status: 429, body: "slow down" }),
    heal: () => hook.heal(),
    accepted: () => hook.accepted().length,
    checkPayload: (intent) => {
      const req = hook.accepted().at(-1)!;
      const expected = `sha256=${createHmac("sha256", HMAC).update(req.body).digest("hex")}`;
      expect(req.headers["x-watchkeeper-signature"]).toBe(expected);
      expect(req.headers["authorization"]).toBe(HOOK_TOKEN);
      expect(req.json).toMatchObject({ version: "1", type: "trigger", dedupKey: intent.dedupKey, monitor: { id: "checkout" }, severity: "critical" });
    },
    retryAfter: true,
  },
  {
    name: "email (SMTP)",
    destination: "channel:mail",
    manifest: () =>
      testManifest({
        monitors: [monitorFor(["mail"])],
        channels: [
          testChannel("mail", "email", {
            smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: "mailer", password: { secret: "SMTP_PASS" } },
            from: "watchkeeper@example.com",
            to: ["oncall@example.com"],
          }),
        ],
        secrets: ["SMTP_PASS"],
      }),
    secrets: () => ({ SMTP_PASS: "smtp-pass-canary-0003" }),
    // The send's own signal times the slow server out; the SMTP read timeout stays long enough for
    // a pause a loaded machine makes while the fake reads a huge message in this process.
    env: () => ({ WK_SMTP_TIMEOUT_MS: "10000" }),
    canaries: () => ["smtp-pass-canary-0003"],
    inject: (fault) => {
      smtp.failNext(
        1,
        fault === "rejected" ? { kind: "reject", code: 550 } : fault === "throttled" ? { kind: "defer", code: 451 } : fault === "unavailable" ? { kind: "defer", code: 421 } : { kind: "slow", delayMs: 1500 },
      );
    },
    heal: () => smtp.failNext(0, { kind: "ok" }),
    accepted: () => smtp.mails.length,
    checkPayload: () => {
      const mail = smtp.mails.at(-1)!;
      expect(mail.to).toEqual(["oncall@example.com"]);
      // Long subjects are MIME-encoded (RFC 2047); either form starts with the state.
      expect(mail.raw).toMatch(/^Subject: (\[FIRING\]|=\?UTF-8\?Q\?=5BFIRING=5D)/m);
      expect(mail.raw).toContain("multipart/alternative");
      expect(mail.raw).toContain("text/plain");
      expect(mail.raw).toContain("text/html");
      expect(mail.raw).toContain("HTTP /health 503");
    },
    retryAfter: false,
  },
];

beforeAll(async () => {
  await Promise.all([...servers.map((s) => s.start()), smtp.start()]);
});
afterAll(async () => {
  await Promise.all([...servers.map((s) => s.stop()), smtp.stop()]);
});

describe.each(cases)("channel conformance: $name", (c) => {
  // Time enough on a loaded machine for what a send does by design: an OpsGenie create waits 1 s,
  // then 2 s more, to confirm OpsGenie processed it; the fakes validate the body in this process.
  // A send that should time out passes its own.
  const send = async (intent: NotificationIntent, timeoutMs = 20_000): Promise<SendResult> => {
    const manifest = c.manifest();
    const env = c.env();
    const destinations = new Destinations(manifest, {
      pagerDutyEventsUrl: env["WK_PAGERDUTY_EVENTS_URL"] ?? "http://127.0.0.1:9",
      pagerDutyApiUrl: "http://127.0.0.1:9",
      routingKeys: new KeyFile("/nonexistent/routing-keys.json"),
      serviceIds: new KeyFile("/nonexistent/service-ids.json"),
      smtpTimeoutMs: Number(env["WK_SMTP_TIMEOUT_MS"] ?? 5000),
    });
    const destination = destinations.get(c.destination)!;
    const notifier = destinations.notifier(destination)!;
    const secrets = c.secrets();
    try {
      return await notifier.send(intent, { manifest, monitor: manifest.monitors[0]! }, {
        signal: AbortSignal.timeout(timeoutMs),
        secret: (name) => secrets[name],
        previousRef: null,
        now: Date.now(),
      });
    } finally {
      destinations.close();
    }
  };

  it("delivers a trigger in the vendor's documented shape", async () => {
    c.heal();
    const before = c.accepted();
    const intent = withIntent();
    const result = await send(intent);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(c.accepted()).toBe(before + 1);
    c.checkPayload(intent);
  });

  it("delivers an alert far larger than the vendor allows, cut to its documented limits on whole characters", async () => {
    c.heal();
    const before = c.accepted();
    const labels: Record<string, string> = {};
    for (let i = 0; i < 200; i++) labels[`label_${i}`] = `🇫🇷 värde ${i} `.repeat(30);
    const huge = intentFor("checkout", "trigger", {
      dedupKey: "wk-checkout-huge",
      summary: `${"Checkout 👩‍👩‍👧‍👦 is down ".repeat(200)}`,
      labels,
      details: { status: 503, body: "é\u0001\"🙂".repeat(200_000), diagnostics: "DNS checkout.example.com A 10.0.0.7 🙂\n".repeat(40_000) },
    });
    const result = await send(huge);
    expect(result.ok, JSON.stringify(result).slice(0, 500)).toBe(true);
    expect(c.accepted()).toBe(before + 1);
  });

  it("classifies a rejected request as not retryable", async () => {
    c.inject("rejected");
    const result = await send(withIntent());
    c.heal();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.retryable).toBe(false);
  });

  it("classifies throttling as retryable, with the vendor's Retry-After", async () => {
    c.inject("throttled");
    const result = await send(withIntent());
    c.heal();
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.retryable).toBe(true);
      if (c.retryAfter) expect(result.failure.retryAfterMs).toBe(7000);
    }
  });

  it.runIf(c.name.startsWith("PagerDuty Events"))("waits out the Events API's throttle, which carries no Retry-After, as PagerDuty asks (30 s)", async () => {
    pd.failNext(1, { status: 429, body: { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." } });
    const result = await send(withIntent());
    pd.heal();
    expect(result).toMatchObject({ ok: false, failure: { retryable: true, throttleWaitMs: 30_000 } });
    expect((result as { failure: { retryAfterMs?: number } }).failure.retryAfterMs).toBeUndefined();
  });

  it("classifies an unavailable vendor as retryable", async () => {
    c.inject("unavailable");
    const result = await send(withIntent());
    c.heal();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.retryable).toBe(true);
  });

  it("classifies a timeout as retryable", async () => {
    c.inject("slow");
    const result = await send(withIntent(), 400);
    c.heal();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure).toMatchObject({ retryable: true, reason: expect.stringMatching(/timed out/) });
  });

  it("keeps secrets out of logs, errors and recorded answers", async () => {
    // Not a timeout test: a send gets long enough for a whole SMTP conversation on a loaded machine
    // (at 400 ms a busy CI machine timed the rejection out into retries).
    const h = makeHarness({ manifest: c.manifest(), secrets: c.secrets(), options: { env: c.env(), sendTimeoutMs: 3_000, backoff: { initialMs: 20, maxMs: 40 } } });
    try {
      c.inject("rejected");
      h.delivery.start();
      h.enqueue(intentFor("checkout", "trigger", { dedupKey: "wk-checkout-rejected" }));
      await until(() => h.deliveries.forAlert("wk-checkout-rejected")[0]?.status === "failed", 5000, "rejected delivery");
      c.inject("unavailable");
      h.enqueue(intentFor("checkout", "trigger", { dedupKey: "wk-checkout-retried" }));
      await until(() => h.deliveries.forAlert("wk-checkout-retried")[0]?.status === "sent", 5000, "retried delivery");
      c.heal();
      const recorded = JSON.stringify(h.deliveries.recent(50));
      const logs = h.lines.join("\n");
      expect(logs).toContain("notification failed, given up");
      for (const canary of c.canaries()) {
        expect(logs).not.toContain(canary);
        expect(recorded).not.toContain(canary);
      }
    } finally {
      c.heal();
      await h.destroy();
    }
  });
});
