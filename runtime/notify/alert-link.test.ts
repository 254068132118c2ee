import { describe, expect, it } from "vitest";
import type { NotificationIntent } from "../alerts/intent.js";
import { testChannel, testManifest, testMonitor } from "../../test/delivery/support/manifest.js";
import { emailHtml, emailText } from "./channels/email/email-notifier.js";
import { opsgenieCreateBody } from "./channels/opsgenie/opsgenie-alert.js";
import { pagerDutyEvent } from "./channels/pagerduty/pagerduty-event.js";
import { slackMessage } from "./channels/slack/slack-notifier.js";
import { webhookBody } from "./channels/webhook/webhook-notifier.js";
import { alertPageUrl } from "./render.js";
import type { MessageContext } from "./types.js";

// A dedup key with characters a URL path must not carry as they are.
const DEDUP_KEY = "wk-checkout-a1b2 c3/d4?e5#&<>|";
const PAGE = `https://status.example.com/alerts/${encodeURIComponent(DEDUP_KEY)}`;

function intent(type: NotificationIntent["type"]): NotificationIntent {
  return {
    id: `${DEDUP_KEY}:1`, type, monitorId: "checkout", dedupKey: DEDUP_KEY, labels: {}, severity: "critical",
    summary: "checkout is failing", value: 503, details: {}, at: 1_767_571_200_000, firedAt: 1_767_571_200_000,
  };
}

function message(publicUrl: string | null): MessageContext {
  const monitor = testMonitor("checkout");
  return { manifest: testManifest({ monitors: [monitor], publicUrl }), monitor };
}

describe("every notification links to its alert's page", () => {
  it("is publicUrl + /alerts/ + the URL-encoded dedup key, whatever the key holds", () => {
    expect(alertPageUrl(intent("trigger"), message("https://status.example.com/"))).toBe(PAGE);
    expect(new URL(PAGE).pathname.split("/")).toHaveLength(3);
    expect(decodeURIComponent(new URL(PAGE).pathname.slice("/alerts/".length))).toBe(DEDUP_KEY);
    expect(alertPageUrl(intent("trigger"), message(null))).toBeNull();
  });

  it("PagerDuty, Slack, email, OpsGenie and webhooks all carry it, and none points at /status", () => {
    const m = message("https://status.example.com");
    const trigger = intent("trigger");
    const pd = pagerDutyEvent(trigger, m, "k".repeat(32));
    expect(pd.client_url).toBe(PAGE);
    expect(pd.links).toContainEqual({ href: PAGE, text: "Alert page" });
    expect(pagerDutyEvent(intent("resolve"), m, "k".repeat(32)).client_url).toBe(PAGE);
    const carriers: Record<string, string> = {
      slack: JSON.stringify(slackMessage(trigger, m, null)),
      emailText: emailText(trigger, m),
      emailHtml: emailHtml(trigger, m),
      opsgenie: JSON.stringify(opsgenieCreateBody(trigger, m, testChannel("og", "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [], tags: [] }) as never)),
      webhook: JSON.stringify(webhookBody(trigger, m)),
    };
    for (const [name, text] of Object.entries(carriers)) {
      expect(text, name).toContain(PAGE);
      expect(text, name).not.toContain("/status\"");
    }
    expect(webhookBody(trigger, m)["url"]).toBe(PAGE);
    expect(webhookBody(trigger, message(null))["url"]).toBeNull();
  });
});
