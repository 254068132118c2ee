import type { Duration } from "../duration.js";
import type { CheckResult, SummaryContext } from "../result.js";
import type { Channel } from "./channels.js";
import type { Check } from "./checks.js";
import { define, type Construct } from "./definition.js";
import type { Diagnostic } from "./diagnostics.js";
import type { Service, Team } from "./oncall.js";

/**
 * When a monitor runs: a cron expression (5 fields, 6 with seconds first, or Quartz style with
 * `?`), a cron with an IANA time zone, or a fixed interval.
 */
export type ScheduleExpression = string | { cron: string; timezone?: string } | { every: Duration };

export type Severity = "critical" | "error" | "warning" | "info";

export interface MonitorProps {
  /** Stable kebab-case id: dedup keys and resource names derive from it. */
  id: string;
  /** Ids this monitor had before: its open alerts (and their dedup keys) carry over to the new id. */
  previousIds?: string[];
  name?: string;
  description?: string;
  owner?: Team | string;
  schedule: ScheduleExpression;
  check: Check;
  /** Returns true when the alert should fire for this result (default: the check failed). */
  condition?: (result: CheckResult) => boolean;
  /** Fires when the check's value crosses this (ignored when `condition` is given). */
  threshold?: { op: ">" | ">=" | "<" | "<=" | "==" | "!="; value: number };
  /** How long the condition must hold before the alert fires (pending until then). */
  for?: Duration;
  /** Keep firing this long after the condition clears (flap damping). */
  keepFiringFor?: Duration;
  /** Consecutive failing evaluations before the alert becomes active (default 1). */
  failureThreshold?: number;
  /** Consecutive passing evaluations before a firing alert resolves (default 1). */
  successThreshold?: number;
  /** Re-notify while firing, this often. */
  repeatEvery?: Duration;
  /** What a check that errors counts as: a failure (default) or unknown (state unchanged). */
  onError?: "fail" | "unknown";
  severity?: Severity;
  /** The PagerDuty service this monitor pages through (Events API v2). */
  service?: Service;
  /** More channels: Slack, OpsGenie, email, webhooks. */
  channels?: Channel[];
  /** Channels told when the alert is acknowledged, e.g. a customer's email. */
  notifyOnAcknowledge?: Channel[];
  /** Monitors muted while this one fires (a site-down mutes its endpoint checks). */
  inhibits?: Monitor[];
  labels?: Record<string, string>;
  /** A template (`{{name}}`, `{{value}}`, `{{message}}`, `{{labels.x}}`) or a function. */
  summary?: string | ((result: CheckResult, monitor: SummaryContext) => string);
  runbook?: string;
  /** Run when the alert fires; their text is attached to the notification. */
  diagnostics?: Diagnostic[];
  /**
   * Check from each of these locations every tick (replicas started with `wk run --location NAME`).
   * An embedded runtime is the one location `local`.
   */
  locations?: string[];
  /** Locations that must see a label set failing in the same tick for it to count as failing (default: all of them). */
  quorum?: number;
}

/** A monitor; `C` keeps its check's kind, so a `monitorTest` can type its steps by it. */
export type Monitor<C extends Check = Check> = Construct<"monitor"> & MonitorProps & { check: C };

/** Declares a monitor: what to check, when, what counts as broken, and who is told. */
export function monitor<C extends Check>(props: MonitorProps & { check: C }): Monitor<C> {
  return define({ kind: "monitor", ...props });
}
