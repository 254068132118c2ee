import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { classifyHttp, sendHttp, urlSecretFailure, type HttpAnswer } from "../../http-send.js";
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

/**
 * All the text of a message's blocks together. Slack refuses a message past about 12,000
 * characters of block text (`msg_blocks_too_long`), even when each block is within its own limit:
 * "12,000 text characters with a buffer for block containers" (Slack, slackapi/bolt-js#2509).
 * Six long labels and the diagnostics reach 18,000, so the parts share this budget.
 */
export const BLOCKS_TEXT_MAX = 11_000;

/** The incoming-webhook body: Block Kit blocks plus `text` as the notification fallback. */
export function slackMessage(intent: NotificationIntent, message: MessageContext, channel: string | null): Record<string, unknown> {
  // plain_text is never parsed for mentions or links, so it is shortened but not escaped.
  const header = truncate(headline(intent), HEADER_MAX);
  // A text element holds at most SECTION_MAX characters, and Slack refuses the whole message for
  // one that is longer: a link that long (a dashboard URL with its whole state in the query) is
  // left out, and the alert's own page still links to everything.
  const links = alertLinks(intent, message).flatMap((l) => {
    const href = slackLinkUrl(l.href);
    const text = href ? `<${href}|${l.text}>` : "";
    return href && text.length <= SECTION_MAX ? [{ type: "mrkdwn", text }] : [];
  });
  // Every piece of alert data is escaped (slackText); only the bold names and our links are markup.
  const facts: [string, string][] = [
    ["Monitor", message.monitor?.name ?? intent.monitorId],
    ["Severity", intent.severity],
    ...(intent.value !== null ? [["Value", String(intent.value)] as [string, string]] : []),
    ...Object.entries(intent.labels).slice(0, 6),
  ];
  const titles = facts.slice(0, FIELDS_MAX).map(([name]) => slackText(name, 200));
  const values = facts.slice(0, FIELDS_MAX).map(([, value], i) => slackText(value, FIELD_MAX - titles[i]!.length - 3));
  const diagnostics = diagnosticsText(intent);
  const fullDiagnostics = diagnostics ? slackText(diagnostics, SECTION_MAX - 6, true) : null;
  // What the header and the links leave is shared by the fields and the diagnostics: each part
  // that wants less than an even share keeps all of it, the longest are cut to what is left.
  const fixed = header.length + links.reduce((sum, l) => sum + l.text.length, 0);
  const wants = [...values.map((v, i) => titles[i]!.length + 3 + v.length), ...(fullDiagnostics === null ? [] : [fullDiagnostics.length + 6])];
  const share = evenShares(wants, BLOCKS_TEXT_MAX - fixed);
  const fields = values.map((value, i) => ({
    type: "mrkdwn",
    text: `*${titles[i]}*\n${share[i]! >= wants[i]! ? value : slackText(facts[i]![1], Math.max(0, share[i]! - titles[i]!.length - 3))}`,
  }));
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: header } },
    { type: "section", fields },
  ];
  if (links.length > 0) blocks.push({ type: "context", elements: links });
  if (diagnostics && fullDiagnostics !== null) {
    const room = share[values.length]!;
    const text = room >= fullDiagnostics.length + 6 ? fullDiagnostics : slackText(diagnostics, Math.max(0, room - 6), true);
    if (text !== "") blocks.push({ type: "section", text: { type: "mrkdwn", text: "```" + text + "```" } });
  }
  return { text: slackText(headline(intent), TEXT_MAX), blocks, ...(channel ? { channel: wellFormed(channel) } : {}) };
}

/**
 * Splits `room` among parts that want `wants` characters: the smallest wants are met in full, and
 * what remains is shared evenly by the parts that want more (each gets at least its even share).
 */
function evenShares(wants: number[], room: number): number[] {
  const shares = wants.map(() => 0);
  let left = Math.max(0, room);
  let count = wants.length;
  for (const i of wants.map((_, index) => index).sort((a, b) => wants[a]! - wants[b]!)) {
    shares[i] = Math.min(wants[i]!, Math.floor(left / count));
    left -= shares[i]!;
    count--;
  }
  return shares;
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
 * `no_service` or `channel_is_archived` are not retryable; a 2xx HTML page is retried (classifySlack).
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
      return sendHttp({ method: "POST", url, headers: {}, body }, ctx.signal, ctx.now, classifySlack);
    },
  };
}

/**
 * Slack answers a posted message with the text `ok` (served as text/html), and refusals with an
 * error code. A 2xx whose body is an HTML page (a proxy's or a sign-in page in front of Slack) did
 * not come from Slack: the message never reached the channel, so it is retried, not recorded as sent.
 */
function classifySlack(answer: HttpAnswer, now: number): SendResult | null {
  if (answer.status < 200 || answer.status >= 300 || !answer.body.trimStart().startsWith("<")) return null;
  const result = classifyHttp(answer, now);
  const reason = `HTTP ${answer.status} with an HTML page, which is not Slack's answer (ok): something in front of Slack answered instead`;
  return { ok: false, failure: { retryable: true, reason }, status: answer.status, answer: result.answer };
}
