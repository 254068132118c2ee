import { alertEvent, eventKindOfIntent, type AlertEvent } from "./alert-event.js";
import type { IntentType, NotificationIntent } from "./intent.js";
import type { Alert, AlertRules, Observation } from "./state.js";

/** What an intent needs from the monitor's rules. */
export type IntentRules = Pick<AlertRules, "severity" | "labels">;

/**
 * The next alert, the intents the transition asks delivery to send and the events its timeline
 * records: the store writes all three in the same transaction.
 */
export interface Transition {
  alert: Alert;
  intents: NotificationIntent[];
  events: AlertEvent[];
}

/** No change worth a notification or a timeline entry (counters and values may still move). */
function quiet(alert: Alert): Transition {
  return { alert, intents: [], events: [] };
}

/**
 * Advances one alert by one observation at time `now` (rules/alerting.go's Eval, for one label set).
 * Pure: the clock is an argument, nothing is read or written outside. Pending never notifies.
 */
export function evaluate(alert: Alert, observation: Observation, now: number, rules: AlertRules): Transition {
  // A newer tick already moved this alert: this observation is history, not news.
  if (isStale(alert, now)) return quiet(alert);
  switch (observation.kind) {
    case "unknown":
      // An errored evaluation the monitor calls unknown says nothing about the target: keep everything.
      return quiet(alert);
    case "failing":
      return onFailing(
        {
          ...alert,
          consecutiveFailures: alert.consecutiveFailures + 1,
          consecutiveSuccesses: 0,
          keepFiringSince: null,
          lastValue: observation.value,
          summary: observation.summary,
          updatedAt: now,
          evaluatedAt: now,
        },
        observation.details,
        now,
        rules,
      );
    case "ok":
      return onOk(
        {
          ...alert,
          consecutiveSuccesses: alert.consecutiveSuccesses + 1,
          consecutiveFailures: 0,
          lastValue: observation.value,
          updatedAt: now,
          evaluatedAt: now,
        },
        observation.details,
        now,
        rules,
      );
    default:
      return assertNever(observation);
  }
}

/** Whether an evaluation of the tick at `at` comes after a newer tick's already changed the alert. */
export function isStale(alert: Alert, at: number): boolean {
  return alert.evaluatedAt !== undefined && alert.evaluatedAt !== null && at < alert.evaluatedAt;
}

/**
 * How far ahead of the clock an alert's last tick may be before a runtime that alone evaluates its
 * alerts (embedded, by the state folder's lock) takes it for a wall clock that stepped back (NTP
 * correcting a fast clock, a VM restored from a snapshot): the scheduler's own threshold.
 */
export const CLOCK_STEP_BACK_MS = 1_000;

/** Whether `evaluatedAt` (an alert's last tick) lies further ahead of the clock's reading `clockNow` than a tick can. */
export function aheadOfClock(evaluatedAt: number | null | undefined, clockNow: number): boolean {
  return typeof evaluatedAt === "number" && evaluatedAt > clockNow + CLOCK_STEP_BACK_MS;
}

/**
 * The alert of a sole evaluator whose clock stepped back since its last tick, as if kept on the
 * clock as it reads now: its times move back by as much as that tick is ahead of `at`. Kept as they
 * were, every tick until the clock caught up would be stale (nothing fires or resolves for the
 * length of the step), and `for`, `keepFiringFor` and reminders would count from a time to come.
 */
export function rebased(alert: Alert, at: number): Alert {
  const by = (alert.evaluatedAt ?? at) - at;
  if (by <= 0) return alert;
  const back = (t: number | null) => (t === null ? null : t - by);
  return {
    ...alert,
    activeAt: back(alert.activeAt),
    firedAt: back(alert.firedAt),
    lastSentAt: back(alert.lastSentAt),
    keepFiringSince: back(alert.keepFiringSince),
    evaluatedAt: at,
  };
}

function onFailing(alert: Alert, details: Record<string, unknown>, now: number, rules: AlertRules): Transition {
  switch (alert.state) {
    case "inactive": {
      if (alert.consecutiveFailures < rules.failureThreshold) return quiet(alert);
      const active: Alert = { ...alert, state: "pending", activeAt: now };
      // With no `for` the alert fires in the same instant: its timeline says fired, not pending too.
      return rules.forMs <= 0 ? fire(active, details, now, rules) : { alert: active, intents: [], events: [alertEvent(active, "pending", now)] };
    }
    case "pending":
      return now - (alert.activeAt ?? now) >= rules.forMs ? fire(alert, details, now, rules) : quiet(alert);
    case "firing": {
      // Reminders keep paging a firing alert nobody acknowledged; an acknowledged one is being handled.
      const due =
        rules.repeatEveryMs !== null &&
        alert.acknowledgedAt === null &&
        now - (alert.lastSentAt ?? alert.firedAt ?? now) >= rules.repeatEveryMs;
      if (!due) return quiet(alert);
      return emit({ ...alert, lastSentAt: now }, "remind", details, now, rules);
    }
    default:
      return assertNever(alert.state);
  }
}

function onOk(alert: Alert, details: Record<string, unknown>, now: number, rules: AlertRules): Transition {
  switch (alert.state) {
    case "inactive":
      return quiet(alert);
    case "pending": {
      // Nothing was sent, so nothing needs resolving: the streak simply ends.
      const cleared: Alert = { ...alert, state: "inactive", activeAt: null, clearedAt: now };
      return { alert: cleared, intents: [], events: [alertEvent(cleared, "cleared", now)] };
    }
    case "firing": {
      const since = alert.keepFiringSince ?? now;
      const held = { ...alert, keepFiringSince: since };
      if (held.consecutiveSuccesses < rules.successThreshold || now - since < rules.keepFiringForMs) {
        return quiet(held);
      }
      return resolve(held, details, now, rules);
    }
    default:
      return assertNever(alert.state);
  }
}

function fire(alert: Alert, details: Record<string, unknown>, now: number, rules: AlertRules): Transition {
  const firing: Alert = {
    ...alert,
    state: "firing",
    firedAt: now,
    lastSentAt: now,
    resolvedAt: null,
    keepFiringSince: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
  return emit(firing, "trigger", details, now, rules);
}

/**
 * Ends a firing alert: also used by AlertControl when the incident is resolved from outside (`by`:
 * who resolved it) and by the rollout for removed monitors. A pending alert is cleared silently.
 */
export function resolve(alert: Alert, details: Record<string, unknown>, now: number, rules: IntentRules, by: string | null = null): Transition {
  if (alert.state !== "firing") {
    const ended: Alert = { ...alert, state: "inactive", activeAt: null, keepFiringSince: null, updatedAt: now };
    return { alert: ended, intents: [], events: alert.state === "pending" ? [alertEvent(ended, "cleared", now, by)] : [] };
  }
  const resolved: Alert = {
    ...alert,
    state: "inactive",
    activeAt: null,
    resolvedAt: now,
    keepFiringSince: null,
    // A resolve from outside while the check still fails must not re-page on the very next tick.
    consecutiveFailures: 0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    updatedAt: now,
  };
  return emit(resolved, "resolve", details, now, rules, by);
}

/** Whether a signal from the incident's vendor that happened at `at` is older than one the alert already took. */
export function isLateSignal(alert: Alert, at: number): boolean {
  return alert.ackSignalAt !== undefined && alert.ackSignalAt !== null && at < alert.ackSignalAt;
}

/**
 * Applies an acknowledgement-state signal from the incident's vendor (acknowledge, unacknowledge,
 * resolve) that happened at `at` on its clock: the alert remembers `at` even when `change` leaves it
 * as it was (acknowledged twice), so a signal from before it that arrives late is ignored whole.
 */
export function signal(alert: Alert, at: number, change: (alert: Alert) => Transition): Transition {
  if (isLateSignal(alert, at)) return quiet(alert);
  const t = change(alert);
  return { ...t, alert: { ...t.alert, ackSignalAt: at } };
}

/** Marks a firing alert acknowledged and emits an acknowledge intent (ack channels, PagerDuty). */
export function acknowledge(alert: Alert, by: string, now: number, rules: IntentRules): Transition {
  if (alert.state !== "firing" || alert.acknowledgedAt !== null) return quiet(alert);
  const acked: Alert = { ...alert, acknowledgedAt: now, acknowledgedBy: by, updatedAt: now };
  return emit(acked, "acknowledge", {}, now, rules, by);
}

/**
 * Takes an acknowledgement back (PagerDuty's incident.unacknowledged: the acknowledgement timed
 * out or someone undid it): reminders resume. Nothing is sent; the vendor already knows.
 */
export function unacknowledge(alert: Alert, now: number): Transition {
  if (alert.state !== "firing" || alert.acknowledgedAt === null) return quiet(alert);
  const back: Alert = { ...alert, acknowledgedAt: null, acknowledgedBy: null, updatedAt: now };
  return { alert: back, intents: [], events: [alertEvent(back, "unacknowledged", now)] };
}

function emit(
  alert: Alert,
  type: IntentType,
  details: Record<string, unknown>,
  now: number,
  rules: IntentRules,
  by: string | null = null,
): Transition {
  const sequence = alert.sequence + 1;
  const intent: NotificationIntent = {
    id: `${alert.dedupKey}:${sequence}`,
    type,
    monitorId: alert.monitorId,
    dedupKey: alert.dedupKey,
    // As a Prometheus rule's labels: on every alert, winning over the series' own. The alert (and
    // so its dedup key) stays keyed by the series labels, so keys of open incidents never change.
    labels: { ...alert.labels, ...rules.labels },
    severity: rules.severity,
    summary: alert.summary,
    value: alert.lastValue,
    details,
    at: now,
    firedAt: alert.firedAt,
    ...(type === "acknowledge" ? { acknowledgedBy: by } : {}),
  };
  const next = { ...alert, sequence };
  return { alert: next, intents: [intent], events: [alertEvent(next, eventKindOfIntent(type), now, type === "acknowledge" || type === "resolve" ? by : null)] };
}

function assertNever(value: never): never {
  throw new Error(`unhandled alert case ${JSON.stringify(value)}`);
}
