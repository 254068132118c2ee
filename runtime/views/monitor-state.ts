import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { Alert } from "../alerts/state.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import { silenceMatches, type Silence } from "../notify/silences.js";

/** What the team sees for a monitor, worst first. */
export type DisplayState = "firing" | "acknowledged" | "erroring" | "pending" | "silenced" | "maintenance" | "ok" | "no-data";

export const STATE_LABEL: Record<DisplayState, string> = {
  firing: "Firing",
  acknowledged: "Acknowledged",
  erroring: "Erroring",
  pending: "Pending",
  silenced: "Silenced",
  maintenance: "In maintenance",
  ok: "OK",
  "no-data": "No data yet",
};

export const STATE_ORDER: DisplayState[] = ["firing", "acknowledged", "erroring", "pending", "silenced", "maintenance", "ok", "no-data"];

/** What the store keeps of a monitor's erroring streak, when it knows. */
export interface ErroringStreak {
  /** The first result of the streak the latest result belongs to (it errored). */
  since?: number;
  /** The first result that ran after the last streak (the latest result ran). */
  endedAt?: number;
}

export interface MonitorDisplay {
  state: DisplayState;
  /** When the monitor entered this state, when the record says (null: not known). */
  since: number | null;
  /** A short line under the state: what the alerts underneath are doing, what mutes them. */
  detail: string | null;
  /** The silence or maintenance window in force, if any. */
  muting: Silence | null;
}

/**
 * The state a person needs first. An alert firing and acknowledged reads "acknowledged"; a
 * maintenance window or a silence over the monitor says so (with what it hides underneath), since
 * muted notifications are what the on-call engineer must know about; a check that errors says
 * "erroring" rather than a green that nobody checked.
 */
export function displayState(
  monitor: MonitorSpec,
  alerts: Alert[],
  latest: ResultRow | null,
  active: Silence[],
  recent: ResultRow[] = [],
  /** What the store keeps of the monitor's erroring streaks (StateView.erroringSince); without it, `recent` says. */
  streak: ErroringStreak = {},
): MonitorDisplay {
  const firing = alerts.filter((a) => a.state === "firing");
  const pending = alerts.filter((a) => a.state === "pending");
  const labels = { ...monitor.labels };
  const muting =
    active.find((s) => s.kind === "maintenance" && silenceMatches(s.matchers, { monitorId: monitor.id, serviceId: monitor.service, labels })) ??
    active.find((s) => s.kind === "silence" && silenceMatches(s.matchers, { monitorId: monitor.id, serviceId: monitor.service, labels })) ??
    null;
  // What a silence hides: a check that cannot run too, or customers would read "Operational" for it.
  const under =
    firing.length > 0 ? `${firing.length} alert${firing.length === 1 ? "" : "s"} firing underneath` : pending.length > 0 ? "pending underneath" : latest?.error ? "erroring underneath" : null;
  if (muting) {
    return { state: muting.kind === "maintenance" ? "maintenance" : "silenced", since: muting.startsAt, detail: under, muting };
  }
  if (firing.length > 0) {
    const unacked = firing.filter((a) => a.acknowledgedAt === null);
    if (unacked.length === 0) {
      // Acknowledged from when the last firing alert was: until then one fired unacknowledged.
      const last = firing.reduce((a, b) => ((a.acknowledgedAt ?? 0) >= (b.acknowledgedAt ?? 0) ? a : b));
      return { state: "acknowledged", since: last.acknowledgedAt, detail: last.acknowledgedBy ? `by ${last.acknowledgedBy}` : null, muting: null };
    }
    return { state: "firing", since: Math.min(...unacked.map((a) => a.firedAt ?? a.updatedAt)), detail: null, muting: null };
  }
  if (latest?.error) return { state: "erroring", since: streak.since !== undefined ? Math.min(streak.since, latest.at) : erroringSince(recent, latest), detail: null, muting: null };
  if (pending.length > 0) return { state: "pending", since: Math.min(...pending.map((a) => a.activeAt ?? a.updatedAt)), detail: null, muting: null };
  if (latest === null && alerts.length === 0) return { state: "no-data", since: null, detail: null, muting: null };
  // OK from the latest of its last alert's resolve, a pending alert clearing without firing, and the
  // end of its last erroring streak, or a monitor pending or unable to run for hours would read OK
  // since a resolve of last week.
  const ended = [...alerts.flatMap((a) => [a.resolvedAt, a.clearedAt ?? null]), streak.endedAt ?? null].filter((t): t is number => t !== null);
  return { state: "ok", since: ended.length > 0 ? Math.max(...ended) : null, detail: null, muting: null };
}

/** The oldest result of the erroring streak that ends with `latest`. */
function erroringSince(recent: ResultRow[], latest: ResultRow): number {
  let since = latest.at;
  for (const r of [...recent].sort((a, b) => b.at - a.at)) {
    if (!r.error) break;
    since = Math.min(since, r.at);
  }
  return since;
}

/** Customers' words for a state (public status pages). */
export type CustomerState = "operational" | "degraded" | "outage" | "maintenance";

export const CUSTOMER_LABEL: Record<CustomerState, string> = { operational: "Operational", degraded: "Degraded", outage: "Outage", maintenance: "Maintenance" };

/**
 * Firing is an outage whoever knows about it (acknowledged, silenced); a maintenance window is
 * maintenance; pending, and a check that cannot run, are "degraded": nobody can vouch for it.
 */
export function customerState(d: MonitorDisplay): CustomerState {
  switch (d.state) {
    case "firing":
    case "acknowledged":
      return "outage";
    case "maintenance":
      return "maintenance";
    case "silenced":
      return d.detail?.includes("firing") ? "outage" : d.detail ? "degraded" : "operational";
    case "pending":
    case "erroring":
      return "degraded";
    case "ok":
    case "no-data":
      return "operational";
  }
}

const CUSTOMER_ORDER: CustomerState[] = ["outage", "degraded", "maintenance", "operational"];

export function worstCustomerState(states: CustomerState[]): CustomerState {
  for (const s of CUSTOMER_ORDER) if (states.includes(s)) return s;
  return "operational";
}
