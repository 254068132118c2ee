import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IntentType, NotificationIntent } from "../../runtime/alerts/intent.js";
import { opsgenieActionBody, opsgenieCreateBody, OPSGENIE_LIMITS } from "../../runtime/notify/channels/opsgenie/opsgenie-alert.js";
import { DETAILS_MAX, incidentBody, TITLE_MAX } from "../../runtime/notify/channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { pagerDutyEvent, SUMMARY_MAX } from "../../runtime/notify/channels/pagerduty/pagerduty-event.js";
import { slackMessage } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { WEBHOOK_MAX_BYTES, webhookBody } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import type { MessageContext } from "../../runtime/notify/types.js";
import type { ChannelSpec, Severity } from "../../sdk/manifest/schema.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { alertActionErrors, createAlertErrors, eventErrors, PAGERDUTY_MAX_EVENT_BYTES, slackRefusal, vendorSchemas } from "../support/vendors/index.js";

/**
 * Every vendor payload builder, driven with what an author or a check can write (huge texts,
 * emoji, flags, combining marks, lone surrogates, JSON escapes, Slack control characters, many
 * labels, long names and URLs), is accepted by the vendor's fake (its published schema and
 * documented limits) and stays well-formed: cuts fall on code points, never inside a surrogate
 * pair, an escape or an entity.
 */

const PIECES = ["😀", "🇫🇷", "👩‍👩‍👧‍👦", "e\u0301", "中", "\uD800", "\uDC00", "&", "<", ">", "|", '"', "\\", "\u0000", "\n", " ", "\t", "x", "é", "<!channel>", "&amp;", "```", "*"];
const piece = fc.constantFrom(...PIECES);

/** Short text of any kind, or one piece repeated until it is far over every vendor's limit. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 3, arbitrary: fc.array(piece, { maxLength: 400 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.tuple(piece, fc.integer({ min: 1, max: 300_000 })).map(([p, n]) => p.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "   \n\t") },
);
const url = fc.oneof(
  text,
  fc.constantFrom("https://runbooks.example.com/checkout", "https://runbooks.example.com/my page", "https://x.example.com/a>b|c<d", "http://10.0.0.7:8080/runbook", "https://bücher.example/r", "https://"),
  text.map((t) => `https://runbooks.example.com/${t}`),
  // A dashboard link with its whole state in the query: longer than a Slack text element holds.
  fc.integer({ min: 2_950, max: 7_000 }).map((n) => `https://grafana.example.com/d/abc?${"var-host=a&".repeat(Math.ceil(n / 11))}`),
);

const severity = fc.constantFrom<Severity>("critical", "error", "warning", "info");
const intentType = fc.constantFrom<IntentType>("trigger", "remind", "resolve", "acknowledge");

interface Case {
  intent: NotificationIntent;
  message: MessageContext;
  responders: { type: "team" | "user" | "escalation" | "schedule"; name: string }[];
  tags: string[];
}

const cases: fc.Arbitrary<Case> = fc
  .record({
    type: intentType,
    severity,
    summary: text,
    labels: fc.dictionary(text, text, { maxKeys: 40 }),
    manyLabels: fc.nat({ max: 3000 }),
    value: fc.option(fc.double({ noNaN: false }), { nil: null }),
    message: text,
    diagnostics: fc.option(text, { nil: undefined }),
    images: fc.array(fc.record({ src: url, href: fc.option(url, { nil: undefined }), alt: fc.option(text, { nil: undefined }) }), { maxLength: 4 }),
    acknowledgedBy: fc.option(text, { nil: null }),
    name: text,
    owner: fc.option(text, { nil: null }),
    runbook: fc.option(url, { nil: null }),
    service: fc.option(fc.constantFrom("payments", "a".repeat(63)), { nil: null }),
    publicUrl: fc.option(fc.constantFrom("https://wk.example.com", "http://10.0.0.9:8080/", "https://status.example.com/wk/"), { nil: null }),
    responders: fc.array(fc.record({ type: fc.constantFrom("team", "user", "escalation", "schedule" as const), name: text }), { maxLength: 70 }),
    tags: fc.array(text, { maxLength: 40 }),
  })
  .map((r) => {
    const labels = { ...r.labels };
    for (let i = 0; i < r.manyLabels; i++) labels[`label_${i}`] = `värde 😀 ${i}`;
    const monitor = monitorSpec({ id: "checkout-api", name: r.name, owner: r.owner, runbook: r.runbook, service: r.service });
    const manifest = manifestOf([monitor]);
    manifest.settings.publicUrl = r.publicUrl;
    const details: Record<string, unknown> = { message: r.message, status: 503, nested: { deep: [r.message.slice(0, 1000), 1, null] } };
    if (r.diagnostics !== undefined) details["diagnostics"] = r.diagnostics;
    if (r.images.length > 0) details["images"] = r.images;
    const intent: NotificationIntent = {
      id: "wk-checkout-api:7",
      type: r.type,
      monitorId: "checkout-api",
      dedupKey: "wk-checkout-api-f7750c2efa31d203",
      labels,
      severity: r.severity,
      summary: r.summary,
      value: r.value,
      details,
      at: Date.parse("2026-03-01T12:00:00Z"),
      firedAt: Date.parse("2026-03-01T11:55:00Z"),
      acknowledgedBy: r.acknowledgedBy,
    };
    return { intent, message: { manifest, monitor }, responders: r.responders, tags: r.tags };
  });

const RUNS = { numRuns: 120 };
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");
const codePoints = (s: string) => [...s].length;

/** Every string anywhere in a payload is well-formed UTF-16 (no lone surrogate reaches a vendor). */
function expectWellFormed(payload: unknown): void {
  const json = JSON.stringify(payload);
  // JSON.stringify writes a lone surrogate as a \udxxx escape; a well-formed pair stays literal.
  // (An escaped backslash before `udxxx` is text that only looks like one.)
  expect(json).not.toMatch(/(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i);
}

describe("PagerDuty Events API v2: every event fits what PagerDuty documents, whatever the alert holds", () => {
  it("is accepted by the fake's schema and limits, at most 512 KB, summary at most 1024 characters", () => {
    fc.assert(
      fc.property(cases, ({ intent, message }) => {
        const event = pagerDutyEvent(intent, message, "R0UTINGKEY0000000000000000000000");
        expect(eventErrors(event)).toEqual([]);
        // 512 KB read as 512,000 bytes too (Alertmanager's maxEventSize), so either reading holds.
        expect(bytes(event)).toBeLessThanOrEqual(Math.min(PAGERDUTY_MAX_EVENT_BYTES, 512_000));
        expect(codePoints(event.dedup_key)).toBeLessThanOrEqual(255);
        if (event.payload) {
          expect(codePoints(event.payload.summary)).toBeLessThanOrEqual(SUMMARY_MAX);
          expect(event.payload.summary.trim()).not.toBe("");
          expect(event.payload.source.trim()).not.toBe("");
        }
        expectWellFormed(event);
      }),
      RUNS,
    );
  });
});

describe("PagerDuty REST incidents: every create body is one PagerDuty's schema accepts", () => {
  const check = vendorSchemas().check("pagerduty-rest-incidents.json#/definitions/CreateIncidentRequest");
  const channel = { id: "pd", kind: "pagerdutyIncident", from: "oncall@example.com", service: "PABC123", urgency: "high", token: { secret: "T" } } as unknown as Extract<ChannelSpec, { kind: "pagerdutyIncident" }>;
  it("passes createIncident's schema, title and details within their caps", () => {
    fc.assert(
      fc.property(cases, ({ intent, message }) => {
        const body = incidentBody(intent, message, channel, "PABC123") as { incident: { title: string; body: { details: string } } };
        expect(check(body)).toEqual([]);
        expect(body.incident.title.length).toBeLessThanOrEqual(TITLE_MAX);
        expect(body.incident.title.trim()).not.toBe("");
        expect(body.incident.body.details.length).toBeLessThanOrEqual(DETAILS_MAX);
        expectWellFormed(body);
      }),
      RUNS,
    );
  });
});

describe("OpsGenie Alert API: every body fits the Alert API's documented limits", () => {
  it("create, close and acknowledge bodies are accepted by the fake (opsgenie-oas plus the documented limits)", () => {
    fc.assert(
      fc.property(cases, ({ intent, message, responders, tags }) => {
        const channel = { id: "og", kind: "opsgenie", region: "us", responders, tags, apiKey: { secret: "K" }, baseUrl: null } as unknown as Extract<ChannelSpec, { kind: "opsgenie" }>;
        const create = opsgenieCreateBody(intent, message, channel);
        expect(createAlertErrors(create)).toEqual({});
        expect(codePoints(create["alias"] as string)).toBeLessThanOrEqual(OPSGENIE_LIMITS.alias);
        expectWellFormed(create);
        const action = opsgenieActionBody(intent);
        expect(alertActionErrors("close", action)).toEqual({});
        expect(alertActionErrors("acknowledge", action)).toEqual({});
        expectWellFormed(action);
      }),
      RUNS,
    );
  });
});

describe("Slack incoming webhook: every message is one Slack accepts, and alert text stays text", () => {
  it("passes the Block Kit limits, and no alert text turns into a mention, a link or a broken entity", () => {
    fc.assert(
      fc.property(cases, fc.option(text, { nil: null }), ({ intent, message }, channel) => {
        const body = slackMessage(intent, message, channel) as { text: string; blocks: Array<Record<string, any>> };
        expect(slackRefusal(body)).toBeNull();
        expectWellFormed(body);
        const mrkdwn = [body.text, ...body.blocks.flatMap((b) => [b["text"], ...(b["fields"] ?? []), ...(b["elements"] ?? [])]).filter((t) => t?.type === "mrkdwn").map((t) => t.text as string)];
        for (const shown of mrkdwn) {
          // Our own links are `<href|label>` with a href that holds no `<`, `>` or `|`; nothing else may open one.
          const outside = shown.replace(/<https?:\/\/[^<>|\s]+\|(Runbook|Alert page)>/g, "");
          expect(outside).not.toMatch(/[<>]/);
          // Every `&` starts a whole entity: a cut never leaves `&am`.
          expect(outside).not.toMatch(/&(?!amp;|lt;|gt;)/);
        }
      }),
      RUNS,
    );
  });
});

describe("generic webhook: every body stays within 256 KiB and well-formed", () => {
  it("fits WEBHOOK_MAX_BYTES whatever the alert holds", () => {
    fc.assert(
      fc.property(cases, ({ intent, message }) => {
        const body = webhookBody(intent, message);
        expect(bytes(body)).toBeLessThanOrEqual(WEBHOOK_MAX_BYTES);
        expectWellFormed(body);
      }),
      RUNS,
    );
  });
});
