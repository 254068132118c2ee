import type { Logger } from "pino";
import type { NotificationIntent } from "../../alerts/intent.js";
import { retryDelayMs, type BackoffPolicy } from "../backoff.js";
import type { Stage } from "../pipeline.js";
import type { RateGate } from "../rate-limiter.js";
import { redactThenShorten } from "../redact.js";
import type { Destination, MessageContext, Notification, Notifier, SendOutcome, SendResult } from "../types.js";
import type { NotifyLog } from "./dedup-stage.js";

/** What the retry stage needs; everything passed in, nothing global. */
export interface RetryStageDeps {
  notifierFor(destination: Destination): Notifier | null;
  messageFor(intent: NotificationIntent): MessageContext;
  secret(name: string): string | undefined;
  /** Every secret value in play right now, for redaction. */
  secretValues(): string[];
  log: NotifyLog;
  /** Per-destination limits: in-process embedded, shared by every replica in scale-out. */
  limiter: RateGate;
  ratePerMinute(destination: Destination): number;
  policy: BackoffPolicy;
  random: () => number;
  sendTimeoutMs: number;
  clock: () => number;
  /** Aborted on shutdown: in-flight requests stop and stay pending. */
  stopSignal: AbortSignal;
  logger: Logger;
}

/**
 * The one place that decides about retrying. For each notification it takes a rate-limit token
 * for every request the attempt makes to the vendor, makes one attempt through the destination's
 * notifier, and turns the notifier's classified result into an outcome: sent, retry at (backoff
 * with jitter, Retry-After honoured), deferred (rate limit, secret not set yet) or failed (not
 * retryable, or retried for too long). A vendor's Retry-After holds every send to the same rate
 * key, not only this one. Retries happen later from the durable row, so a restart mid-retry
 * neither loses nor repeats an event.
 */
export function retryStage(deps: RetryStageDeps): Stage {
  const warnedMissing = new Map<string, number>();
  return async (ctx, items) =>
    Promise.all(
      items.map(async (item): Promise<Notification> => {
        item.outcome = await attempt(item, ctx.now);
        return item;
      }),
    );

  async function attempt(item: Notification, now: number): Promise<SendOutcome> {
    const notifier = deps.notifierFor(item.destination);
    if (!notifier) return { kind: "failed", reason: `no notifier for ${item.destination.id}`, status: null, answer: "" };
    const previous = await deps.log.lastSent(item.intent.dedupKey, item.destination.id);
    const rateKey = notifier.rateKey?.(deps.secret, item.intent, previous?.ref ?? null) ?? item.destination.id;
    const requests = notifier.requestsPerAttempt?.(item.intent, previous?.ref ?? null, now) ?? 1;
    // The token is counted when the send leaves, not when the batch began: reads of a slow store
    // since then would otherwise count it early and let a later send through before its window.
    const takenAt = deps.clock();
    const token = await deps.limiter.take(rateKey, deps.ratePerMinute(item.destination), takenAt, requests);
    if (!token.ok) return { kind: "deferred", at: takenAt + token.waitMs, reason: "rate limit for this destination" };

    const signal = AbortSignal.any([deps.stopSignal, AbortSignal.timeout(notifier.timeoutMs ?? deps.sendTimeoutMs)]);
    let result: SendResult;
    try {
      result = await notifier.send(item.intent, deps.messageFor(item.intent), {
        signal,
        secret: deps.secret,
        previousRef: previous?.ref ?? null,
        ...(item.owedTo ? { owedTo: item.owedTo } : {}),
        now,
      });
    } catch (error) {
      // A notifier that throws has a bug; treat it as retryable so nothing is lost meanwhile.
      const message = error instanceof Error ? error.message : String(error);
      result = { ok: false, failure: { retryable: true, reason: `notifier error: ${message}` }, status: null, answer: "" };
    }
    const done = deps.clock();
    const secrets = deps.secretValues();
    const clean = (text: string, max: number) => redactThenShorten(text, max, secrets);

    if (result.ok) {
      const sent: SendOutcome = { kind: "sent", status: result.status, answer: clean(result.answer, 2000), ref: result.ref ?? null, at: done };
      return result.warning === undefined ? sent : { ...sent, warning: clean(result.warning, 1000) };
    }
    const failure = result.failure;
    const reason = clean(failure.reason, 500);
    const answer = clean(result.answer, 2000);
    // An attempt the stop cut off counts: the request may have reached the vendor (a slow answer),
    // and the alert's resolve is then owed there even if its monitor leaves the manifest (trigger-tried.ts).
    if (deps.stopSignal.aborted) return { kind: "retry", at: done, reason: "shutting down during the attempt, which may have reached the vendor", status: result.status, answer };
    if (failure.missingSecret) {
      const last = warnedMissing.get(failure.missingSecret) ?? -Infinity;
      if (done - last > 60_000) {
        warnedMissing.set(failure.missingSecret, done);
        deps.logger.warn({ secret: failure.missingSecret, destination: item.destination.id }, `delivery waits: secret ${failure.missingSecret} ${failure.secretProblem ?? "is not set"}`);
      }
      return { kind: "deferred", at: done + deps.policy.missingSecretWaitMs, reason };
    }
    // The record stage logs every outcome, once; nothing here logs it again.
    if (!failure.retryable) return { kind: "failed", reason, status: result.status, answer };
    // From the first failure, not from when it became due: one that waited for its secret, or for a
    // runtime that was down, would otherwise be given up at its first failure, a vendor's blip.
    if (done - (item.firstFailedAt ?? done) >= deps.policy.giveUpAfterMs) {
      return { kind: "failed", reason: `gave up after ${item.attempts + 1} attempts: ${reason}`, status: result.status, answer };
    }
    const waitMs = failure.retryAfterMs ?? (failure.throttleWaitMs !== undefined ? Math.min(failure.throttleWaitMs, deps.policy.maxMs) : undefined);
    if (waitMs !== undefined && waitMs > 0) {
      // The vendor throttles the whole key, not this one event: every sender waits, on every replica.
      await deps.limiter.holdOff(rateKey, done + waitMs, done);
    }
    const delay = retryDelayMs(deps.policy, item.attempts + 1, waitMs, deps.random);
    const retry: SendOutcome = { kind: "retry", at: done + delay, reason, status: result.status, answer };
    return failure.owedTo ? { ...retry, owedTo: failure.owedTo } : retry;
  }
}
