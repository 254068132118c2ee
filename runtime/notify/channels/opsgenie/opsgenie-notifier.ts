import type { ChannelSpec, Severity } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { sendHttp } from "../../http-send.js";
import { headline, plainText } from "../../render.js";
import { truncate } from "../../redact.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";

type OpsgenieChannel = Extract<ChannelSpec, { kind: "opsgenie" }>;

export const OPSGENIE_US_URL = "https://api.opsgenie.com";
export const OPSGENIE_EU_URL = "https://api.eu.opsgenie.com";
export const MESSAGE_MAX = 130;

/** critical -> P1 ... info -> P5; P4 is left for teams that add their own. */
export function opsgeniePriority(severity: Severity): "P1" | "P2" | "P3" | "P5" {
  switch (severity) {
    case "critical":
      return "P1";
    case "error":
      return "P2";
    case "warning":
      return "P3";
    case "info":
      return "P5";
  }
}

/**
 * OpsGenie Alert API v2: create with `alias` = dedup key (OpsGenie deduplicates on it), close
 * and acknowledge by alias. `GenieKey` auth; EU region or `baseUrl` override.
 */
export function opsgenieNotifier(channel: OpsgenieChannel): Notifier {
  const base = (channel.baseUrl ?? (channel.region === "eu" ? OPSGENIE_EU_URL : OPSGENIE_US_URL)).replace(/\/+$/, "");
  return {
    kind: "opsgenie",
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const key = ctx.secret(channel.apiKey.secret);
      if (!key) {
        return { ok: false, failure: { retryable: true, reason: `not available: ${channel.apiKey.secret}`, missingSecret: channel.apiKey.secret }, status: null, answer: "" };
      }
      const headers = { authorization: `GenieKey ${key}` };
      const alias = encodeURIComponent(intent.dedupKey);
      switch (intent.type) {
        case "trigger":
        case "remind": {
          const body = JSON.stringify({
            message: truncate(intent.summary || intent.monitorId, MESSAGE_MAX),
            alias: intent.dedupKey,
            description: truncate(plainText(intent, message), 15_000),
            responders: channel.responders,
            tags: channel.tags,
            details: stringDetails(intent),
            entity: intent.monitorId,
            source: "watchkeeper",
            priority: opsgeniePriority(intent.severity),
          });
          return sendHttp({ method: "POST", url: `${base}/v2/alerts`, headers, body }, ctx.signal, ctx.now);
        }
        case "resolve":
        case "acknowledge": {
          const action = intent.type === "resolve" ? "close" : "acknowledge";
          const body = JSON.stringify({
            source: "watchkeeper",
            ...(intent.acknowledgedBy ? { user: truncate(intent.acknowledgedBy, 100) } : {}),
            note: truncate(headline(intent), 25_000),
          });
          const url = `${base}/v2/alerts/${alias}/${action}?identifierType=alias`;
          return sendHttp({ method: "POST", url, headers, body }, ctx.signal, ctx.now);
        }
      }
    },
  };
}

/** OpsGenie details are a flat string map. */
function stringDetails(intent: NotificationIntent): Record<string, string> {
  const out: Record<string, string> = { monitor: intent.monitorId, severity: intent.severity };
  if (intent.value !== null) out["value"] = String(intent.value);
  for (const [name, value] of Object.entries(intent.labels)) out[`label.${name}`] = value;
  for (const [name, value] of Object.entries(intent.details)) {
    out[name] = truncate(typeof value === "string" ? value : JSON.stringify(value) ?? "", 8_000);
  }
  return out;
}
