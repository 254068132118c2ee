import { createHmac } from "node:crypto";
import { field, jsonBytes, shrinkToFit, wellFormedJson } from "../../fit.js";
import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { sendHttp, urlSecretFailure } from "../../http-send.js";
import { alertPageUrl } from "../../render.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";

type WebhookChannel = Extract<ChannelSpec, { kind: "webhook" }>;

export const SIGNATURE_HEADER = "x-watchkeeper-signature";
/**
 * Largest body we send: 256 KiB of JSON, a size that common receivers (API gateways, chat bridges,
 * serverless functions) all accept. Larger alert data is cut with a marker and `truncated: true`.
 */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

/** The JSON a generic webhook receives; `version` changes only with an incompatible shape. */
export function webhookBody(intent: NotificationIntent, message: MessageContext, budget = WEBHOOK_MAX_BYTES): Record<string, unknown> {
  // Every string well-formed: a lone surrogate in alert data would reach receivers as an escape strict decoders refuse.
  const body: Record<string, unknown> = wellFormedJson({
    version: "1",
    id: intent.id,
    type: intent.type,
    monitor: { id: intent.monitorId, name: message.monitor?.name ?? intent.monitorId, service: message.monitor?.service ?? null },
    dedupKey: intent.dedupKey,
    severity: intent.severity,
    summary: intent.summary,
    value: intent.value,
    labels: intent.labels,
    details: intent.details,
    at: new Date(intent.at).toISOString(),
    firedAt: intent.firedAt === null ? null : new Date(intent.firedAt).toISOString(),
    acknowledgedBy: intent.acknowledgedBy ?? null,
    runbook: message.monitor?.runbook ?? null,
    // The alert's page on the runtime (null without `publicUrl`).
    url: alertPageUrl(intent, message),
  });
  if (jsonBytes(body) <= budget) return body;
  // Same order as PagerDuty: diagnostics, then the check's own details largest first, then labels.
  const details = { ...(body["details"] as Record<string, unknown>) };
  const labels = { ...(body["labels"] as Record<string, string>) };
  body["details"] = details;
  body["labels"] = labels;
  const { diagnostics: _diagnostics, ...rest } = details;
  // Largest first, each measured once.
  const bySize = (record: Record<string, unknown>) =>
    Object.keys(record)
      .map((key) => [key, JSON.stringify(record[key])?.length ?? 0] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([key]) => key);
  shrinkToFit(body, budget - TRUNCATED_FLAG_BYTES, [
    field(details, "diagnostics"),
    ...bySize(rest).map((key) => field(details, key)),
    ...bySize(labels).map((key) => field(labels, key)),
    field(body, "summary"),
    // What the author wrote has no cap of its own either: a prose runbook, the monitor's name, who acknowledged.
    field(body, "runbook"),
    field(body["monitor"] as Record<string, unknown>, "name"),
    field(body, "acknowledgedBy"),
  ]);
  if (jsonBytes(body) > budget - TRUNCATED_FLAG_BYTES) {
    // Thousands of keys: the values are already cut, so the maps themselves go.
    body["details"] = {};
    body["labels"] = {};
  }
  body["truncated"] = true;
  return body;
}

/** Room for `,"truncated":true`. */
const TRUNCATED_FLAG_BYTES = 20;

/** Signs a body the way receivers verify it: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Generic webhook: POSTs the JSON body, optionally signed with HMAC-SHA256 in
 * `X-Watchkeeper-Signature`; `X-Watchkeeper-Delivery` carries the intent id so receivers can
 * drop a repeat.
 */
export function webhookNotifier(channel: WebhookChannel): Notifier {
  const resolve = (value: string | { secret: string }, ctx: SendContext): { value: string } | { missing: string } => {
    if (typeof value === "string") return { value };
    const found = ctx.secret(value.secret);
    return found === undefined ? { missing: value.secret } : { value: found };
  };
  return {
    kind: "webhook",
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const url = resolve(channel.url, ctx);
      if ("missing" in url) return missing(url.missing);
      // A literal URL was checked when the project compiled; a secret's is checked here.
      const notUrl = typeof channel.url === "string" ? null : urlSecretFailure(channel.url.secret, url.value);
      if (notUrl) return { ok: false, failure: notUrl, status: null, answer: "" };
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(channel.headers)) {
        const resolved = resolve(value, ctx);
        if ("missing" in resolved) return missing(resolved.missing);
        headers[name.toLowerCase()] = resolved.value;
      }
      const body = JSON.stringify(webhookBody(intent, message));
      if (channel.hmacSecret) {
        const secret = ctx.secret(channel.hmacSecret.secret);
        if (!secret) return missing(channel.hmacSecret.secret);
        headers[SIGNATURE_HEADER] = signBody(body, secret);
      }
      headers["x-watchkeeper-delivery"] = intent.id;
      const target = channel.baseUrl ? rebase(url.value, channel.baseUrl) : url.value;
      return sendHttp({ method: "POST", url: target, headers, body }, ctx.signal, ctx.now);
    },
  };
}

function rebase(url: string, base: string): string {
  try {
    const parsed = new URL(url);
    return `${base.replace(/\/+$/, "")}${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function missing(name: string): SendResult {
  return { ok: false, failure: { retryable: true, reason: `not available: ${name}`, missingSecret: name }, status: null, answer: "" };
}
