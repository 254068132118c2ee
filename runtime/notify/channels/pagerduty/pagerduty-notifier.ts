import { createHash } from "node:crypto";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { classifyHttp, isMarkupPage, sendHttp, type HttpAnswer } from "../../http-send.js";
import type { MessageContext, Notifier, NotifierKind, SendContext, SendResult } from "../../types.js";
import { pagerDutyEvent } from "./pagerduty-event.js";
import { chooseRoutingKey, routingKeyRef, type KnownRoutingKeys } from "./routing-key-ref.js";

export const DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com";

/**
 * Finds the routing key at send time: the current value and the ones rotations replaced, or the
 * name of what is missing.
 */
export type RoutingKeyLookup = (secret: (name: string) => string | undefined) => KnownRoutingKeys | { missing: string; problem?: string };

/**
 * PagerDuty Events API v2 (`POST {base}/v2/enqueue`): trigger, acknowledge and resolve with a
 * stable dedup key. 202 with PagerDuty's JSON answer is success (a 2xx page from a proxy in front
 * of it is retried); 400 means the event itself is invalid (not retryable); 429
 * and 5xx are retryable. Each sent event leaves the fingerprint of its routing key as its
 * reference, so the events after a trigger go with the key the trigger went with (chooseRoutingKey).
 */
export function pagerDutyNotifier(options: { kind: NotifierKind; baseUrl: string; routingKey: RoutingKeyLookup }): Notifier {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/v2/enqueue`;
  return {
    kind: options.kind,
    // The bucket of the key this event goes with: after a rotation, an alert triggered with the old
    // key is acknowledged and resolved with it, and PagerDuty counts those against the old key.
    rateKey(secret, intent, previousRef) {
      const found = options.routingKey(secret);
      if (!("key" in found)) return null;
      const { key } = chooseRoutingKey(intent, found, previousRef);
      return `pagerduty:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
    },
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const found = options.routingKey(ctx.secret);
      if ("missing" in found) {
        const reason = found.problem === undefined ? `routing key not available: ${found.missing}` : `routing key not usable: ${found.missing} ${found.problem}`;
        return { ok: false, failure: { retryable: true, reason, missingSecret: found.missing, ...(found.problem === undefined ? {} : { secretProblem: found.problem }) }, status: null, answer: "" };
      }
      const chosen = chooseRoutingKey(intent, found, ctx.previousRef);
      const body = JSON.stringify(pagerDutyEvent(intent, message, chosen.key));
      const result = await sendHttp({ method: "POST", url, headers: {}, body }, ctx.signal, ctx.now, classify);
      if (!result.ok) return result;
      const sent = { ...result, ref: routingKeyRef(chosen.key) };
      // The warning also goes in the stored answer, where the alert's page shows it.
      return chosen.warning === null ? sent : { ...sent, warning: chosen.warning, answer: `${result.answer} (warning: ${chosen.warning})` };
    },
  };
}

/**
 * PagerDuty asks that a 429 from the Events API be retried "preferably with a backoff of a few
 * minutes" ("3 times with each request being 30 seconds apart"), and sends no Retry-After: without
 * one the next try waits this long, and the key's other events with it.
 */
export const EVENTS_THROTTLE_WAIT_MS = 30_000;

function classify(answer: HttpAnswer, now: number): SendResult | null {
  if (answer.status === 429) {
    const result = classifyHttp(answer, now);
    return result.ok || result.failure.retryAfterMs !== undefined ? result : { ...result, failure: { ...result.failure, throttleWaitMs: EVENTS_THROTTLE_WAIT_MS } };
  }
  if (answer.status === 400) {
    return { ok: false, failure: { retryable: false, reason: `PagerDuty rejected the event: ${rejection(answer.body)}` }, status: 400, answer: answer.body };
  }
  if (answer.status >= 200 && answer.status < 300 && isMarkupPage(answer.body)) {
    // A proxy or a sign-in page in front of PagerDuty answered, and the event never reached it.
    // Sent again with the same dedup key, PagerDuty still opens one incident.
    const result = classifyHttp(answer, now);
    const reason = `HTTP ${answer.status} that is a page, not PagerDuty's Events API answer: something in front of PagerDuty answered instead`;
    return { ok: false, failure: { retryable: true, reason }, status: answer.status, answer: result.answer };
  }
  return null;
}


/**
 * What a 400 says is wrong: PagerDuty's `message` and `errors` (a list of strings), or the body as
 * it came when something in front of PagerDuty (a proxy) answered instead. A single string in
 * `errors` is taken whole, not spelled out a character at a time.
 */
function rejection(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (parsed === null || typeof parsed !== "object") return body;
  const { message, errors } = parsed as { message?: unknown; errors?: unknown };
  const listed = Array.isArray(errors) ? errors : [errors];
  const said = [message, ...listed].filter((part): part is string => typeof part === "string" && part.trim() !== "");
  return said.length > 0 ? said.join("; ") : body;
}
