import type { IntentType, NotificationIntent } from "./intent.js";
import type { Alert, AlertRules, Observation } from "./state.js";

/** What an intent needs from the monitor's rules. */
export type IntentRules = Pick<AlertRules, "severity" | "labels">;

/** The next alert and the intents the transition asks delivery to send (written in the same transaction). */
export interface Transition {
  alert: Alert;
  intents: NotificationIntent[];
}

/**
 * Advances one alert by one observation at time `now` (rules/alerting.go's Eval, for one label set).
 * Pure: the clock is an argument, nothing is read or written outside. Pending never notifies.
 */
export function evaluate(alert: Alert, observation: Observation, now: number, rules: AlertRules): Transition {
  switch (observation.kind) {
    case "unknown":
      // An errored evaluation the monitor calls unknown says nothing about the target: keep everything.
      return { alert, intents: [] };
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
        },
        observation.details,
        now,
        rules,
      );
    default:
      return assertNever(observation);
  }
}

function onFailing(alert: Alert, details: Record<string, unknown>, now: number, rules: AlertRules): Transition {
  switch (alert.state) {
    case "inactive": {
      if (alert.consecutiveFailures < rules.failureThreshold) return { alert, intents: [] };
      const active: Alert = { ...alert, state: "pending", activeAt: now };
      return rules.forMs <= 0 ? fire(active, details, now, rules) : { alert: active, intents: [] };
    }
    case "pending":
      return now - (alert.activeAt ?? now) >= rules.forMs ? fire(alert, details, now, rules) : { alert, intents: [] };
    case "firing": {
      // Reminders keep paging a firing alert nobody acknowledged; an acknowledged one is being handled.
      const due =
        rules.repeatEveryMs !== null &&
        alert.acknowledgedAt === null &&
        now - (alert.lastSentAt ?? alert.firedAt ?? now) >= rules.repeatEveryMs;
      if (!due) return { alert, intents: [] };
      return emit({ ...alert, lastSentAt: now }, "remind", details, now, rules);
    }
    default:
      return assertNever(alert.state);
  }
}

function onOk(alert: Alert, details: Record<string, unknown>, now: number, rules: AlertRules): Transition {
  switch (alert.state) {
    case "inactive":
      return { alert, intents: [] };
    case "pending":
      // Nothing was sent, so nothing needs resolving: the streak simply ends.
      return { alert: { ...alert, state: "inactive", activeAt: null }, intents: [] };
    case "firing": {
      const since = alert.keepFiringSince ?? now;
      const held = { ...alert, keepFiringSince: since };
      if (held.consecutiveSuccesses < rules.successThreshold || now - since < rules.keepFiringForMs) {
        return { alert: held, intents: [] };
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

/** Ends a firing alert: also used by AlertControl when the incident is resolved from outside. */
export function resolve(alert: Alert, details: Record<string, unknown>, now: number, rules: IntentRules): Transition {
  if (alert.state !== "firing") {
    return { alert: { ...alert, state: "inactive", activeAt: null, keepFiringSince: null, updatedAt: now }, intents: [] };
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
  return emit(resolved, "resolve", details, now, rules);
}

/** Marks a firing alert acknowledged and emits an acknowledge intent (ack channels, PagerDuty). */
export function acknowledge(alert: Alert, by: string, now: number, rules: IntentRules): Transition {
  if (alert.state !== "firing" || alert.acknowledgedAt !== null) return { alert, intents: [] };
  const acked: Alert = { ...alert, acknowledgedAt: now, acknowledgedBy: by, updatedAt: now };
  const out = emit(acked, "acknowledge", {}, now, rules);
  out.intents[0]!.acknowledgedBy = by;
  return out;
}

function emit(
  alert: Alert,
  type: IntentType,
  details: Record<string, unknown>,
  now: number,
  rules: IntentRules,
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
  };
  return { alert: { ...alert, sequence }, intents: [intent] };
}

function assertNever(value: never): never {
  throw new Error(`unhandled alert case ${JSON.stringify(value)}`);
}
