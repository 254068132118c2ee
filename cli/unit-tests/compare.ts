import { alertKey } from "../../runtime/alerts/alert-key.js";
import type { RecordedNotification } from "./recording-destinations.js";
import type { SimulationResult } from "./simulate.js";
import { formatLabels, labelSets, sameLabelSet, type NotificationExpectation, type ParsedTest } from "./test-shape.js";

/** One expectation beside what the simulation did at that time. */
export interface TimelineRow {
  index: number;
  at: number;
  labels: Record<string, string>;
  expected: { alert: string; acknowledged: boolean | null; notifications: string[] | null };
  actual: { alert: string; acknowledged: boolean; notifications: string[] };
  ok: boolean;
}

/** Compares each expectation with the simulation: the alert state, acknowledgement and notifications. */
export function compare(test: ParsedTest, result: SimulationResult): TimelineRow[] {
  const produced = labelSets(test.monitor, test.steps);
  const rows: TimelineRow[] = [];
  const previousAt = new Map<string, number>();
  const ordered = [...test.expect].sort((a, b) => a.at - b.at || a.index - b.index);
  for (const e of ordered) {
    const series = produced.find((set) => sameLabelSet(set, e.labels ?? {}, test.monitor.labels)) ?? {};
    const id = formatLabels(series);
    const since = previousAt.get(id) ?? -Infinity;
    previousAt.set(id, e.at);
    const snapshot = (result.snapshots.get(e.index) ?? []).find((a) => sameLabelSet(a.labels, series, test.monitor.labels));
    const dedupKey = alertKey(test.monitor.id, series);
    const sent = result.sent.filter((n) => n.dedupKey === dedupKey && n.at > since && n.at <= e.at);
    const actual = { alert: snapshot?.state ?? "inactive", acknowledged: snapshot?.acknowledged ?? false, notifications: sent.map(describeSent) };
    const notificationsOk = e.notifications === null || matches(e.notifications, sent);
    const ok = actual.alert === e.alert && (e.acknowledged === null || e.acknowledged === actual.acknowledged) && notificationsOk;
    rows.push({
      index: e.index,
      at: e.at,
      labels: series,
      expected: { alert: e.alert, acknowledged: e.acknowledged, notifications: e.notifications?.map(describeExpected) ?? null },
      actual,
      ok,
    });
  }
  return rows;
}

/** Every expected notification matches one sent, and nothing else was sent. */
function matches(expected: NotificationExpectation[], sent: RecordedNotification[]): boolean {
  if (expected.length !== sent.length) return false;
  const left = [...sent];
  for (const e of expected) {
    const i = left.findIndex(
      (n) =>
        n.type === e.type &&
        n.destination === e.destination &&
        (e.dedupKey === null || n.dedupKey === e.dedupKey) &&
        (e.labels === null || Object.entries(e.labels).every(([k, v]) => n.labels[k] === v)),
    );
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

const TYPE_NAMES: Record<string, string> = { remind: "reminder" };

function describeSent(n: RecordedNotification): string {
  return `${TYPE_NAMES[n.type] ?? n.type} -> ${n.destination}`;
}

function describeExpected(n: NotificationExpectation): string {
  const extra = [n.dedupKey ? `dedup ${n.dedupKey}` : null, n.labels ? formatLabels(n.labels) : null].filter(Boolean).join(" ");
  return `${TYPE_NAMES[n.type] ?? n.type} -> ${n.destination}${extra ? ` (${extra})` : ""}`;
}
