import type { Logger } from "pino";
import type { DeliveryQueue } from "../delivery-queue.js";
import type { Stage } from "../pipeline.js";
import { truncate } from "../redact.js";
import type { Notification } from "../types.js";
import { sentState } from "./dedup-stage.js";

/** Called after each recorded outcome (metrics, waking the worker). */
export type OutcomeListener = (item: Notification) => void;

/** A vendor's answer in a log line is cut here; the alert page shows the stored attempt. */
const LOG_ANSWER_MAX = 300;

/**
 * Writes each outcome to its delivery (status, attempts, next attempt, the vendor's answer) and,
 * for a sent notification, the notification log that the dedup stage reads, in one store
 * operation: a crash can never leave a sent delivery without its log entry. Then logs it, one
 * line per outcome (sent, retrying with the vendor's answer, failed or given up), in both
 * delivery modes; a deferral (rate limit, secret not set yet) made no attempt and is debug only.
 */
export function recordStage(store: Pick<DeliveryQueue, "recordOutcome">, onOutcome: OutcomeListener = () => {}): Stage {
  return async (ctx, items) => {
    for (const item of items) {
      if (item.deliveryId === null || item.outcome === null) continue;
      await store.recordOutcome({
        id: item.deliveryId,
        attemptsBefore: item.attempts,
        outcome: item.outcome,
        now: ctx.now,
        logged: item.outcome.kind === "sent" ? { dedupKey: item.intent.dedupKey, destination: item.destination.id, state: sentState(item.intent.type) } : undefined,
      });
    }
    for (const item of items) {
      if (item.outcome !== null) logOutcome(ctx.logger, item);
      onOutcome(item);
    }
    return items;
  };
}

/** Reasons and answers were redacted by the retry stage; nothing here reads a secret. */
function logOutcome(logger: Logger, item: Notification): void {
  const outcome = item.outcome!;
  const fields = {
    monitorId: item.intent.monitorId,
    dedupKey: item.intent.dedupKey,
    destination: item.destination.id,
    notification: item.intent.type,
    attempt: item.attempts + (outcome.kind === "deferred" ? 0 : 1),
  };
  switch (outcome.kind) {
    case "sent":
      if (outcome.warning !== undefined) logger.warn({ ...fields, status: outcome.status, warning: outcome.warning }, `notification sent, but ${outcome.warning}`);
      else logger.info({ ...fields, status: outcome.status }, "notification sent");
      return;
    case "retry":
      logger.warn(
        { ...fields, status: outcome.status, reason: outcome.reason, answer: truncate(outcome.answer, LOG_ANSWER_MAX), retryAt: new Date(outcome.at).toISOString() },
        "notification failed, will retry",
      );
      return;
    case "failed":
      logger.error({ ...fields, status: outcome.status, reason: outcome.reason, answer: truncate(outcome.answer, LOG_ANSWER_MAX) }, "notification failed, given up");
      return;
    case "deferred":
      logger.debug({ ...fields, reason: outcome.reason, until: new Date(outcome.at).toISOString() }, "notification deferred");
      return;
  }
}
