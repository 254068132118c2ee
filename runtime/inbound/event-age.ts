/**
 * How far ahead of our clock a signed event's `occurred_at` may be and still count as fresh:
 * PagerDuty's clock and ours disagree a little; an event from further ahead was not sent now.
 */
export const FUTURE_SKEW_MS = 60_000;

/** Whether an event is recent enough to act on. */
export type EventAge = { kind: "fresh" } | { kind: "stale"; reason: string };

/**
 * Refuses events older than `maxAgeMs` or more than FUTURE_SKEW_MS ahead of `now`. Together with
 * the event-id record (kept at least maxAgeMs + FUTURE_SKEW_MS) this closes the replay window:
 * a captured webhook either is still remembered or is too old to act.
 */
export function eventAge(occurredAt: number, now: number, maxAgeMs: number): EventAge {
  if (occurredAt < now - maxAgeMs) {
    return { kind: "stale", reason: `occurred ${Math.round((now - occurredAt) / 1000)} s ago; events older than ${Math.round(maxAgeMs / 1000)} s are not acted on` };
  }
  if (occurredAt > now + FUTURE_SKEW_MS) {
    return { kind: "stale", reason: `occurred_at is ${Math.round((occurredAt - now) / 1000)} s in the future` };
  }
  return { kind: "fresh" };
}

/** How long an event id must be remembered so that no replay of it is fresh again. */
export function replayWindowMs(maxAgeMs: number): number {
  return maxAgeMs + FUTURE_SKEW_MS;
}
