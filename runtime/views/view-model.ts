import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { VersionedAlert } from "../alerts/alert-store.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import type { Alert } from "../alerts/state.js";
import type { Awaitable } from "../awaitable.js";
import type { ApiAccess } from "../http/api-auth.js";
import type { DeliveryRecord } from "../notify/delivery-queue.js";
import type { Silence, Silences } from "../notify/silences.js";
import type { Clock } from "../scheduler/clock.js";
import type { StateView } from "../server/state-view.js";
import type { HistoryLog } from "../store/history.js";
import { pagingPath } from "./describe.js";
import { historyOf, withPreviousIds } from "./history-view.js";
import { displayState, type ErroringStreak, type MonitorDisplay } from "./monitor-state.js";

/** What the views read: the state view, one alert by key, deliveries, and the history port when the store has it. */
export interface ViewStore extends StateView {
  readAlert(dedupKey: string): Awaitable<VersionedAlert | null>;
  deliveriesForAlert?(dedupKey: string): Awaitable<DeliveryRecord[]>;
}

export interface ViewDeps {
  manifest: Manifest;
  store: ViewStore;
  silences: Silences;
  clock: Clock;
  access: ApiAccess;
}

/** One monitor as every internal page lists it. */
export interface MonitorRow {
  monitor: MonitorSpec;
  display: MonitorDisplay;
  alerts: Alert[];
  service: { id: string; name: string } | null;
  team: { id: string; name: string } | null;
}

/** Up to this many monitors are read one by one; more are read in bulk (every alert, every newest result). */
const READ_EACH_UP_TO = 50;

/**
 * Monitors with their display state: all of them (or many) in three store calls whatever the
 * monitor count; a few (a status page, the monitors a change touched) by reading just those.
 */
export async function monitorRows(d: ViewDeps, now: number, only?: MonitorSpec[]): Promise<MonitorRow[]> {
  const few = only !== undefined && only.length <= READ_EACH_UP_TO;
  const [[alerts, latest], active] = await Promise.all([few ? readEach(d, only) : Promise.all([d.store.allAlerts(), d.store.latestResults()]), d.silences.active(now)]);
  const byMonitor = new Map<string, Alert[]>();
  for (const a of alerts) byMonitor.set(a.monitorId, [...(byMonitor.get(a.monitorId) ?? []), a]);
  // The erroring streak's start is kept by the store (one read for every monitor, so a mass outage
  // costs no read per monitor); recent results stand in only for a monitor it has none for (one
  // erroring already when the store began keeping them).
  const [started, ended] = await Promise.all([d.store.erroringSince(), d.store.erroringEnded()]);
  const unknown = [...latest.values()].filter((r) => r.error && !started.has(r.monitorId)).map((r) => r.monitorId);
  const recent = new Map(await Promise.all(unknown.map(async (id) => [id, await d.store.recentResults(id, 50)] as const)));
  return (only ?? d.manifest.monitors).map((monitor) => {
    const own = byMonitor.get(monitor.id) ?? [];
    const path = pagingPath(d.manifest, monitor);
    return {
      monitor,
      display: displayState(monitor, own, latest.get(monitor.id) ?? null, active, recent.get(monitor.id) ?? [], streakOf(monitor.id, started, ended)),
      alerts: own,
      service: path.service,
      team: path.team,
    };
  });
}

function streakOf(id: string, started: Map<string, number>, ended: Map<string, number>): ErroringStreak {
  const since = started.get(id);
  const endedAt = ended.get(id);
  return { ...(since === undefined ? {} : { since }), ...(endedAt === undefined ? {} : { endedAt }) };
}

async function readEach(d: ViewDeps, monitors: MonitorSpec[]): Promise<[Alert[], Map<string, ResultRow>]> {
  const read = await Promise.all(monitors.map(async (m) => [m.id, await d.store.alertsOf(m.id), (await d.store.recentResults(m.id, 1))[0]] as const));
  const latest = new Map<string, ResultRow>();
  for (const [id, , r] of read) if (r) latest.set(id, r);
  return [read.flatMap(([, alerts]) => alerts), latest];
}

/** The history port, reading a renamed monitor's past under its previous ids too. */
export function history(d: ViewDeps): HistoryLog | null {
  const log = historyOf(d.store);
  return log && withPreviousIds(log, d.manifest);
}

/** Silences and maintenance windows in force or scheduled. */
export async function currentSilences(d: ViewDeps, now: number): Promise<Silence[]> {
  return (await d.silences.current(now)).sort((a, b) => a.startsAt - b.startsAt);
}
