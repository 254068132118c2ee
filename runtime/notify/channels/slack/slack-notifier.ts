import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { sendHttp, urlSecretFailure } from "../../http-send.js";
import { alertLinks, diagnosticsText, headline } from "../../render.js";
import { truncate } from "../../redact.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import { slackText } from "./slack-escape.js";
import { wellFormed } from "../../../text/truncate.js";

type SlackChannel = Extract<ChannelSpec, { kind: "slack" }>;

/** Slack's Block Kit limits: section text 3,000 characters, a field 2,000 (at most 10), a header 150. */
export const SECTION_MAX = 3000;
export const FIELD_MAX = 2000;
export const FIELDS_MAX = 10;
export const HEADER_MAX = 150;
/** The top-level `text` (the notification and fallback); Slack cuts it at 40,000, we keep it short. */
export const TEXT_MAX = 3000;

/** The incoming-webhook body: Block Kit blocks plus `text` as the notification fallback. */
export function slackMessage(intent: NotificationIntent, message: MessageContext, channel: string | null): Record<string, unknown> {
  // Every piece of alert data is escaped (slackText); only the bold names and our links are markup.
  const field = (name: string, value: string) => {
    const title = slackText(name, 200);
    return { type: "mrkdwn", text: `*${title}*\n${slackText(value, FIELD_MAX - title.length - 3)}` };
  };
  const fields = [
    field("Monitor", message.monitor?.name ?? intent.monitorId),
    field("Severity", intent.severity),
    ...(intent.value !== null ? [field("Value", String(intent.value))] : []),
    ...Object.entries(intent.labels).slice(0, 6).map(([k, v]) => field(k, v)),
  ];
  const blocks: Record<string, unknown>[] = [
    // plain_text is never parsed for mentions or links, so it is shortened but not escaped.
    { type: "header", text: { type: "plain_text", text: truncate(headline(intent), HEADER_MAX) } },
    { type: "section", fields: fields.slice(0, FIELDS_MAX) },
  ];
  const links = alertLinks(intent, message);
  if (links.length > 0) {
    // A text element holds at most SECTION_MAX characters, and Slack refuses the whole message
    // for one that is longer: a link that long (a dashboard URL with its whole state in the
    // query) is left out, and the alert's own page still links to everything.
    const live = links.flatMap((l) => {
      const href = slackLinkUrl(l.href);
      const text = href ? `<${href}|${l.text}>` : "";
      return href && text.length <= SECTION_MAX ? [{ type: "mrkdwn", text }] : [];
    });
    if (live.length > 0) blocks.push({ type: "context", elements: live });
  }
  const diagnostics = diagnosticsText(intent);
  if (diagnostics) blocks.push({ type: "section", text: { type: "mrkdwn", text: "```" + slackText(diagnostics, SECTION_MAX - 6, true) + "```" } });
  return { text: slackText(headline(intent), TEXT_MAX), blocks, ...(channel ? { channel: wellFormed(channel) } : {}) };
}

/**
 * A URL for Slack's `<url|text>` link syntax, or null when it does not parse as http(s). The parsed
 * form percent-encodes spaces, `<`, `>` and `"`; `|` is encoded too, since Slack would end the URL
 * there (https://docs.slack.dev/messaging/formatting-message-text#linking-urls). Without this a
 * runbook such as `https://wiki/a>b|c` would show as broken markup or a link to somewhere else.
 */
export function slackLinkUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    return url.href.replace(/\|/g, "%7C");
  } catch {
    return null;
  }
}

/**
 * Slack incoming webhook. The webhook URL is the secret; `baseUrl` replaces its origin (proxies,
 * recording servers). Slack answers 429 with Retry-After; 4xx such as `invalid_payload`,
 * `no_service` or `channel_is_archived` are not retryable.
 */
export function slackNotifier(channel: SlackChannel): Notifier {
  return {
    kind: "slack",
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const webhook = ctx.secret(channel.webhookUrl.secret);
      if (!webhook) {
        return { ok: false, failure: { retryable: true, reason: `not available: ${channel.webhookUrl.secret}`, missingSecret: channel.webhookUrl.secret }, status: null, answer: "" };
      }
      const notUrl = urlSecretFailure(channel.webhookUrl.secret, webhook);
      if (notUrl) return { ok: false, failure: notUrl, status: null, answer: "" };
      const parsed = new URL(webhook);
      const url = channel.baseUrl ? `${channel.baseUrl.replace(/\/+$/, "")}${parsed.pathname}` : parsed.toString();
      const body = JSON.stringify(slackMessage(intent, message, channel.channel));
      return sendHttp({ method: "POST", url, headers: {}, body }, ctx.signal, ctx.now);
    },
  };
}
