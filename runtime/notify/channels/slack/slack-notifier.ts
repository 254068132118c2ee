import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { sendHttp } from "../../http-send.js";
import { alertLinks, diagnosticsText, headline } from "../../render.js";
import { truncate } from "../../redact.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";

type SlackChannel = Extract<ChannelSpec, { kind: "slack" }>;

/** Slack caps a section's text at 3,000 characters and a header at 150. */
const SECTION_MAX = 3000;
const HEADER_MAX = 150;

/** The incoming-webhook body: Block Kit blocks plus `text` as the notification fallback. */
export function slackMessage(intent: NotificationIntent, message: MessageContext, channel: string | null): Record<string, unknown> {
  const fields = [
    `*Monitor*\n${message.monitor?.name ?? intent.monitorId}`,
    `*Severity*\n${intent.severity}`,
    ...(intent.value !== null ? [`*Value*\n${intent.value}`] : []),
    ...Object.entries(intent.labels).slice(0, 6).map(([k, v]) => `*${k}*\n${v}`),
  ].map((text) => ({ type: "mrkdwn", text: truncate(text, 2000) }));
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: truncate(headline(intent), HEADER_MAX) } },
    { type: "section", fields: fields.slice(0, 10) },
  ];
  const links = alertLinks(message);
  if (links.length > 0) {
    blocks.push({ type: "context", elements: links.map((l) => ({ type: "mrkdwn", text: `<${l.href}|${l.text}>` })) });
  }
  const diagnostics = diagnosticsText(intent);
  if (diagnostics) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate("```" + diagnostics + "```", SECTION_MAX) } });
  return { text: truncate(headline(intent), 3000), blocks, ...(channel ? { channel } : {}) };
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
      let url: string;
      try {
        const parsed = new URL(webhook);
        url = channel.baseUrl ? `${channel.baseUrl.replace(/\/+$/, "")}${parsed.pathname}` : parsed.toString();
      } catch {
        return { ok: false, failure: { retryable: false, reason: `secret ${channel.webhookUrl.secret} is not a URL` }, status: null, answer: "" };
      }
      const body = JSON.stringify(slackMessage(intent, message, channel.channel));
      return sendHttp({ method: "POST", url, headers: {}, body }, ctx.signal, ctx.now);
    },
  };
}
