import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { sendHttp } from "../../http-send.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import { OPSGENIE_LIMITS, opsgenieActionBody, opsgenieCreateBody } from "./opsgenie-alert.js";

export { opsgenieCreateBody, opsgenieDetails, opsgeniePriority, OPSGENIE_LIMITS } from "./opsgenie-alert.js";

type OpsgenieChannel = Extract<ChannelSpec, { kind: "opsgenie" }>;

export const OPSGENIE_US_URL = "https://api.opsgenie.com";
export const OPSGENIE_EU_URL = "https://api.eu.opsgenie.com";
export const MESSAGE_MAX = OPSGENIE_LIMITS.message;

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
          const body = JSON.stringify(opsgenieCreateBody(intent, message, channel));
          return sendHttp({ method: "POST", url: `${base}/v2/alerts`, headers, body }, ctx.signal, ctx.now);
        }
        case "resolve":
        case "acknowledge": {
          const action = intent.type === "resolve" ? "close" : "acknowledge";
          const body = JSON.stringify(opsgenieActionBody(intent));
          const url = `${base}/v2/alerts/${alias}/${action}?identifierType=alias`;
          return sendHttp({ method: "POST", url, headers, body }, ctx.signal, ctx.now);
        }
      }
    },
  };
}
