import { describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { emailHtml, emailSubject, emailText, EMAIL_DIAGNOSTICS_MAX } from "../../runtime/notify/channels/email/email-notifier.js";
import { OPSGENIE_LIMITS, opsgenieCreateBody, opsgenieDetails } from "../../runtime/notify/channels/opsgenie/opsgenie-alert.js";
import { EVENT_MAX_BYTES, pagerDutyEvent } from "../../runtime/notify/channels/pagerduty/pagerduty-event.js";
import { FIELD_MAX, FIELDS_MAX, HEADER_MAX, SECTION_MAX, slackMessage, TEXT_MAX } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { WEBHOOK_MAX_BYTES, webhookBody } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import type { MessageContext } from "../../runtime/notify/types.js";
import type { ChannelSpec } from "../../sdk/manifest/schema.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { eventErrors } from "../support/vendors/index.js";

const monitor = monitorSpec({ id: "checkout", name: "Checkout API", runbook: "https://runbooks.example.com/checkout" });
const message: MessageContext = { manifest: manifestOf([monitor]), monitor };
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

/** An alert whose check and diagnostics produced far more than any vendor takes: multi-byte text, escapes, many labels. */
function hugeIntent(over: Partial<NotificationIntent> = {}): NotificationIntent {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 300; i++) labels[`label_${i}`] = `värde ${i} `.repeat(40);
  return {
    id: "wk-checkout:1",
    type: "trigger",
    monitorId: "checkout",
    dedupKey: "wk-checkout",
    labels,
    severity: "critical",
    summary: "Checkout API: expected status 2xx, got 503 ".repeat(30).slice(0, 1024),
    value: 503,
    details: {
      message: "é\u0001\"".repeat(150_000),
      responses: Array.from({ length: 2000 }, (_, i) => ({ i, body: "🙂 upstream said no ".repeat(10) })),
      diagnostics: "DNS checkout.example.com A 10.0.0.7\n".repeat(30_000),
    },
    at: Date.parse("2026-03-01T12:00:00Z"),
    firedAt: Date.parse("2026-03-01T12:00:00Z"),
    ...over,
  };
}

describe("every payload fits its vendor's documented limits, whatever the check wrote", () => {
  it("a PagerDuty event stays under 512 KB of JSON, losing diagnostics first and saying so, with summary and dedup key intact", () => {
    const intent = hugeIntent();
    const event = pagerDutyEvent(intent, message, "R0UTINGKEY00000000000000000000000");
    expect(bytes(event)).toBeLessThanOrEqual(EVENT_MAX_BYTES);
    expect(bytes(event)).toBeGreaterThan(EVENT_MAX_BYTES / 2); // cut to the budget, not to nothing
    expect(event.dedup_key).toBe("wk-checkout");
    expect(event.payload!.summary).toBe(intent.summary);
    const details = event.payload!.custom_details!;
    expect(details["diagnostics"]).toMatch(/…\[truncated \d+ characters\]$/);
    expect(JSON.stringify(event)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i); // no lone surrogate escaped into the JSON

    // A small alert goes out whole: nothing is cut that did not have to be.
    const small = pagerDutyEvent(hugeIntent({ labels: { region: "eu" }, details: { status: 503, diagnostics: "HTTP /health 503" } }), message, "R");
    expect(small.payload!.custom_details).toMatchObject({ diagnostics: "HTTP /health 503", check_result: { status: 503 }, labels: { region: "eu" } });
  });

  it("a PagerDuty event whose check result alone is too big keeps the head of the check result, and labels untouched", () => {
    const event = pagerDutyEvent(hugeIntent({ labels: { region: "eu" }, details: { message: "x".repeat(900_000), diagnostics: "HTTP /health 503" } }), message, "R");
    expect(bytes(event)).toBeLessThanOrEqual(EVENT_MAX_BYTES);
    const details = event.payload!.custom_details!;
    // Shorter than its own marker: left whole (a marker would grow the event).
    expect(details["diagnostics"]).toBe("HTTP /health 503");
    expect(details["check_result"]).toMatch(/^\{"message":"xxxx.*…\[truncated \d+ characters\]$/);
    expect(details["labels"]).toEqual({ region: "eu" });
  });

  it("a PagerDuty event that images push over 512 KB loses images first, keeping its details, diagnostics and links", () => {
    // 600 chart images of ~1 KB each (long query strings): about 600 KB of images alone.
    const images = Array.from({ length: 600 }, (_, i) => ({ src: `https://charts.example.com/render?panel=${i}&q=${"rate(http_requests_total[5m])".repeat(32)}`, alt: `panel ${i}` }));
    const diagnostics = "DNS checkout.example.com A 10.0.0.7\nHTTP /health 503 in 1200 ms\n".repeat(50);
    const intent = hugeIntent({ labels: { region: "eu" }, details: { status: 503, diagnostics, images } });
    const event = pagerDutyEvent(intent, message, "R0UTINGKEY0000000000000000000000");
    expect(bytes(event)).toBeLessThanOrEqual(EVENT_MAX_BYTES);
    expect(eventErrors(event)).toEqual([]);
    const details = event.payload!.custom_details!;
    expect(details).toMatchObject({ diagnostics, check_result: { status: 503 }, labels: { region: "eu" }, monitor: "Checkout API" });
    expect(event.links?.map((l) => l.text)).toContain("Runbook");
    // As many images as fit stay, the first ones; the event says how many were left out.
    expect(event.images!.length).toBeGreaterThan(300);
    expect(event.images![0]!.alt).toBe("panel 0");
    expect(details["images_left_out"]).toBe(600 - event.images!.length);
  });

  it("a PagerDuty event whose diagnostics overflow keeps its runbook link: links go only after the details are cut", () => {
    const event = pagerDutyEvent(hugeIntent({ labels: { region: "eu" } }), message, "R0UTINGKEY00000000000000000000000");
    expect(bytes(event)).toBeLessThanOrEqual(EVENT_MAX_BYTES);
    expect(event.links?.map((l) => l.text)).toContain("Runbook");
    expect(event.payload!.custom_details!["diagnostics"]).toMatch(/…\[truncated \d+ characters\]$/);
  });

  it("OpsGenie details stay within 8,000 characters (keys and values), monitor and labels first, and every field within its limit", () => {
    const intent = hugeIntent({ labels: { region: "eu", instance: "db-1:9100" } });
    const channel = { id: "og", kind: "opsgenie", region: "us", responders: [], tags: Array.from({ length: 30 }, (_, i) => `tag-${i}-${"t".repeat(60)}`), apiKey: { secret: "K" } };
    const body = opsgenieCreateBody(intent, message, channel as unknown as Extract<ChannelSpec, { kind: "opsgenie" }>);
    const details = body["details"] as Record<string, string>;
    const total = Object.entries(details).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(total).toBeLessThanOrEqual(OPSGENIE_LIMITS.details);
    expect(details).toMatchObject({ monitor: "checkout", severity: "critical", "label.region": "eu", "label.instance": "db-1:9100" });
    expect(details["truncated"]).toMatch(/^…\[truncated \d+ characters\]$/);
    expect((body["message"] as string).length).toBeLessThanOrEqual(OPSGENIE_LIMITS.message);
    expect((body["description"] as string).length).toBeLessThanOrEqual(OPSGENIE_LIMITS.description);
    expect(body["tags"] as string[]).toHaveLength(OPSGENIE_LIMITS.tags);
    for (const tag of body["tags"] as string[]) expect(tag.length).toBeLessThanOrEqual(OPSGENIE_LIMITS.tag);
    expect((body["alias"] as string).length).toBeLessThanOrEqual(OPSGENIE_LIMITS.alias);

    const small = opsgenieDetails(hugeIntent({ labels: {}, details: { status: 503 } }));
    expect(small).toEqual({ monitor: "checkout", severity: "critical", value: "503", status: "503" });
  });

  it("a Slack message keeps every block within Block Kit's limits", () => {
    const body = slackMessage(hugeIntent(), message, null) as { text: string; blocks: Array<Record<string, any>> };
    expect(body.text.length).toBeLessThanOrEqual(TEXT_MAX);
    for (const block of body.blocks) {
      if (block["type"] === "header") expect(block["text"].text.length).toBeLessThanOrEqual(HEADER_MAX);
      if (block["text"]?.type === "mrkdwn") expect(block["text"].text.length).toBeLessThanOrEqual(SECTION_MAX);
      if (block["fields"]) {
        expect(block["fields"].length).toBeLessThanOrEqual(FIELDS_MAX);
        for (const f of block["fields"]) expect(f.text.length).toBeLessThanOrEqual(FIELD_MAX);
      }
    }
    expect(JSON.stringify(body)).toMatch(/…\[truncated \d+ characters\]```/);
  });

  it("a generic webhook body stays under 256 KiB, keeps its shape and says it was cut", () => {
    const body = webhookBody(hugeIntent(), message);
    expect(bytes(body)).toBeLessThanOrEqual(WEBHOOK_MAX_BYTES);
    expect(body).toMatchObject({ version: "1", dedupKey: "wk-checkout", truncated: true, monitor: { id: "checkout" } });
    expect(typeof body["labels"]).toBe("object");
    expect(typeof body["details"]).toBe("object");
    expect(webhookBody(hugeIntent({ labels: {}, details: { status: 503 } }), message)).not.toHaveProperty("truncated");
  });

  it("an email keeps a one-line subject of at most 200 characters and cuts long diagnostics with a marker", () => {
    const intent = hugeIntent({ labels: {}, summary: `Checkout\nis down ${"x".repeat(1000)}` });
    const subject = emailSubject(intent);
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(subject).not.toMatch(/\n/);
    const text = emailText(intent, message);
    expect(text.length).toBeLessThan(EMAIL_DIAGNOSTICS_MAX + 5_000);
    expect(text).toMatch(/…\[truncated \d+ characters\]/);
    expect(emailHtml(intent, message).length).toBeLessThan(2 * EMAIL_DIAGNOSTICS_MAX);
  });
});
