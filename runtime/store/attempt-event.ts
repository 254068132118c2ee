import type { DeliveryAttemptEvent } from "../notify/delivery-queue.js";
import type { SendOutcome } from "../notify/types.js";
import { truncate } from "../text/truncate.js";

/** A stored attempt's detail is cut here: the alert page shows it, the delivery row keeps the rest. */
export const ATTEMPT_DETAIL_MAX = 1000;

/** What an attempt says besides which delivery it was (the store adds that from the delivery row). */
export type AttemptFacts = Pick<DeliveryAttemptEvent, "attempt" | "outcome" | "vendorStatus" | "detail">;

/**
 * The attempt an outcome records, or null for a deferral (rate limit, secret not set yet, shutting
 * down), which made no attempt. Reasons and answers come from the retry stage, which has already
 * redacted every secret value from them; this only shortens.
 */
export function attemptOfOutcome(outcome: SendOutcome, attemptsBefore: number): AttemptFacts | null {
  switch (outcome.kind) {
    case "sent":
      return { attempt: attemptsBefore + 1, outcome: "sent", vendorStatus: outcome.status, detail: detailOf(null, outcome.answer) };
    case "retry":
      return { attempt: attemptsBefore + 1, outcome: "retrying", vendorStatus: outcome.status, detail: detailOf(outcome.reason, outcome.answer) };
    case "failed":
      return { attempt: attemptsBefore + 1, outcome: "failed", vendorStatus: outcome.status, detail: detailOf(outcome.reason, outcome.answer) };
    case "deferred":
      return null;
  }
}

/** A delivery dropped before or between attempts (dedup, destination gone): `attempts` made so far. */
export function skippedAttempt(attempts: number, reason: string): AttemptFacts {
  return { attempt: attempts, outcome: "skipped", vendorStatus: null, detail: detailOf(reason, "") };
}

/** A delivery a silence, maintenance window or inhibition kept from being sent. */
export function suppressedAttempt(reason: string | null): AttemptFacts {
  return { attempt: 0, outcome: "suppressed", vendorStatus: null, detail: reason === null ? null : detailOf(reason, "") };
}

function detailOf(reason: string | null, answer: string): string | null {
  const text = [reason, answer.trim()].filter((part): part is string => part !== null && part !== "").join(": ");
  return text === "" ? null : truncate(text, ATTEMPT_DETAIL_MAX);
}
