import type { Logger } from "pino";
import type { DeliveryQueue, DeliveryRow } from "./delivery-queue.js";
import type { Destinations } from "./destinations.js";
import type { Stage, StageContext } from "./pipeline.js";
import type { Notification } from "./types.js";

/** What became of one claimed delivery: finished (sent, failed, skipped) or still pending until `at`. */
export type SendResultKind =
  | { kind: "sent" }
  | { kind: "skipped"; reason: string }
  | { kind: "failed"; reason: string }
  | { kind: "retry"; at: number; reason: string }
  | { kind: "deferred"; at: number; reason: string };

export interface SendDeliveryDeps {
  store: Pick<DeliveryQueue, "markSkipped" | "recordOutcome">;
  destinations: Destinations;
  /** The send stages: dedup, retry, record. */
  pipeline: Stage;
  logger: Logger;
  clock: () => number;
}

/**
 * Runs one claimed delivery through the send stages; the record stage has written the outcome
 * by the time this returns. A pipeline error leaves the delivery pending for 5 s, so a
 * persistent fault does not spin. Both delivery modes send through here.
 */
export async function sendDelivery(row: DeliveryRow, deps: SendDeliveryDeps): Promise<SendResultKind> {
  const destination = deps.destinations.get(row.destination);
  const now = deps.clock();
  if (!destination) {
    const reason = `destination ${row.destination} is no longer in the manifest`;
    await deps.store.markSkipped(row.id, row.attempts, reason, now);
    return { kind: "skipped", reason };
  }
  const item: Notification = {
    intent: row.intent,
    destination,
    notBefore: row.nextAttemptAt,
    deliveryId: row.id,
    attempts: row.attempts,
    firstDueAt: row.firstDueAt,
    ...(row.firstFailedAt !== undefined ? { firstFailedAt: row.firstFailedAt } : {}),
    ...(row.owedTo ? { owedTo: row.owedTo } : {}),
    outcome: null,
  };
  const skips: Promise<void>[] = [];
  let skipped: string | null = null;
  const ctx: StageContext = {
    now,
    logger: deps.logger,
    drop: (dropped, reason) => {
      skipped = reason;
      skips.push(Promise.resolve(deps.store.markSkipped(row.id, row.attempts, reason, deps.clock())));
      deps.logger.debug({ dedupKey: dropped.intent.dedupKey, destination: row.destination, reason }, "notification skipped");
    },
  };
  try {
    await deps.pipeline(ctx, [item]);
    await Promise.all(skips);
  } catch (error) {
    deps.logger.error({ err: error, deliveryId: row.id }, "send pipeline failed");
    const at = now + 5_000;
    const reason = "internal error while sending";
    try {
      await deps.store.recordOutcome({ id: row.id, attemptsBefore: row.attempts, outcome: { kind: "deferred", at, reason }, now });
    } catch {
      // the store itself is failing; the delivery stays pending and is looked at again
    }
    return { kind: "deferred", at, reason };
  }
  if (skipped !== null) return { kind: "skipped", reason: skipped };
  const outcome = item.outcome;
  if (outcome === null) return { kind: "skipped", reason: "no outcome" };
  switch (outcome.kind) {
    case "sent":
      return { kind: "sent" };
    case "failed":
      return { kind: "failed", reason: outcome.reason };
    case "retry":
      return { kind: "retry", at: outcome.at, reason: outcome.reason };
    case "deferred":
      return { kind: "deferred", at: outcome.at, reason: outcome.reason };
  }
}
