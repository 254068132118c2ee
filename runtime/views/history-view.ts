import type { Manifest } from "../../sdk/manifest/schema.js";
import type { Awaitable } from "../awaitable.js";
import type { HistoryLog, RollupBucket } from "../store/history.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const HISTORY_DAYS = 90;

/** The store's history port, when the store has one (older adapters do not: the views then show no history). */
export function historyOf(store: object): HistoryLog | null {
  const h = store as Partial<HistoryLog>;
  return typeof h.rollups === "function" && typeof h.alertEvents === "function" && typeof h.deliveryAttempts === "function" && typeof h.resultsBetween === "function"
    ? (store as HistoryLog)
    : null;
}

/** Monitor id -> the ids its history is stored under: its own, then those it was renamed from. */
const renamesOf = new WeakMap<Manifest, Map<string, string[]>>();

/**
 * The history port as the views read it: a monitor renamed with `previousIds` keeps its past,
 * read under its old ids too (the store keeps rows by the id that wrote them), so a rename does
 * not grey out 90 days of bars on the status page. A bucket both ids wrote (the rollout's minute,
 * hour and day) adds up their counts; its percentiles are the busier id's.
 */
export function withPreviousIds(log: HistoryLog, manifest: Manifest): HistoryLog {
  let renames = renamesOf.get(manifest);
  if (!renames) {
    const live = new Set(manifest.monitors.map((m) => m.id));
    renames = new Map();
    for (const m of manifest.monitors) {
      // The compiler refuses an old id that is still defined; an older manifest is read the same way.
      const previous = (m.previousIds ?? []).filter((id) => !live.has(id));
      if (previous.length > 0) renames.set(m.id, [m.id, ...previous]);
    }
    renamesOf.set(manifest, renames);
  }
  if (renames.size === 0) return log;
  const idsOf = renames;
  return {
    rollups: async (monitorId, resolution, since, until) => {
      const ids = idsOf.get(monitorId);
      if (!ids) return log.rollups(monitorId, resolution, since, until);
      return mergeBuckets((await Promise.all(ids.map((id) => settle(log.rollups(id, resolution, since, until))))).flat());
    },
    resultsBetween: async (monitorId, since, until, limit) => {
      const ids = idsOf.get(monitorId);
      if (!ids) return log.resultsBetween(monitorId, since, until, limit);
      const rows = (await Promise.all(ids.map((id) => settle(log.resultsBetween(id, since, until, limit))))).flat();
      return rows.sort((a, b) => b.at - a.at).slice(0, limit);
    },
    alertEvents: (dedupKey) => log.alertEvents(dedupKey),
    deliveryAttempts: (dedupKey) => log.deliveryAttempts(dedupKey),
    alertDiagnostics: (dedupKey) => (typeof log.alertDiagnostics === "function" ? log.alertDiagnostics(dedupKey) : null),
  };
}

/** Buckets of several ids, one per start, oldest first. */
function mergeBuckets(buckets: RollupBucket[]): RollupBucket[] {
  const byStart = new Map<number, RollupBucket>();
  for (const b of buckets) {
    const seen = byStart.get(b.start);
    if (!seen) {
      byStart.set(b.start, b);
      continue;
    }
    const busier = b.count > seen.count ? b : seen;
    const max = seen.max === null ? b.max : b.max === null ? seen.max : Math.max(seen.max, b.max);
    byStart.set(b.start, { start: b.start, count: seen.count + b.count, failures: seen.failures + b.failures, errors: seen.errors + b.errors, p50: busier.p50, p95: busier.p95, p99: busier.p99, max });
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** One day of a monitor's 90-day bar. */
export interface DayBar {
  start: number;
  count: number;
  failures: number;
  errors: number;
  /** Share of evaluated results without the condition holding; null when nothing was evaluated. */
  uptime: number | null;
}

export interface Uptime {
  d1: number | null;
  d7: number | null;
  d30: number | null;
  d90: number | null;
}

/** What the overview shows for one monitor's past. */
export interface MonitorHistory {
  days: DayBar[];
  uptime: Uptime;
  /** Median latency per hour over the last day, oldest first (the sparkline). */
  latency: number[];
}

/**
 * Uptime is the share of evaluated results whose condition did not hold: results left unknown
 * (a check error under `onError: "unknown"`) count neither way, since they say nothing about the
 * service; a check error under the default `onError: "fail"` is downtime, as it pages.
 */
export function uptimeOf(buckets: RollupBucket[]): number | null {
  let evaluated = 0;
  let failures = 0;
  for (const b of buckets) {
    evaluated += b.count - b.errors;
    failures += b.failures;
  }
  return evaluated > 0 ? Math.max(0, (evaluated - failures) / evaluated) : null;
}

/**
 * A monitor's last 90 days: daily bars and the 90-day uptime from day rollups (90 rows), the last
 * 24 hours (uptime and sparkline) from hour rollups, and the 7- and 30-day windows from the days
 * they cover whole plus the hours of the day they start in. The same bars as summing hours, from
 * about 130 rows instead of 2,160. Each uptime window starts to the minute: the minutes of the hour
 * it starts in come from minute rollups while they are kept, so a once-a-day check's run 23 h 55
 * min ago is in the 24 hours (its hour bucket starts before them, and left it out).
 */
export async function monitorHistory(history: HistoryLog | null, monitorId: string, now: number): Promise<MonitorHistory> {
  if (!history) return summarize([], now);
  const today = Math.floor(now / DAY) * DAY;
  const from = today - (HISTORY_DAYS - 1) * DAY;
  const edge = (ms: number) => Math.ceil((now - ms) / DAY) * DAY;
  const minutesTo = (ms: number) => settle(history.rollups(monitorId, "minute", now - ms, Math.ceil((now - ms) / HOUR) * HOUR));
  const [stored, lastDay, head7, head30, first1, first7, first30] = await Promise.all([
    settle(history.rollups(monitorId, "day", from, now + 1)),
    settle(history.rollups(monitorId, "hour", now - DAY, now + 1)),
    settle(history.rollups(monitorId, "hour", now - 7 * DAY, edge(7 * DAY))),
    settle(history.rollups(monitorId, "hour", now - 30 * DAY, edge(30 * DAY))),
    minutesTo(DAY),
    minutesTo(7 * DAY),
    minutesTo(30 * DAY),
  ]);
  let days = stored;
  const firstDay = stored[0]?.start ?? null;
  if (firstDay === null || firstDay > from) {
    // Day buckets start when the store began keeping them (a Redis store's upgrade, whose first day
    // is partial), or at a monitor's first result: the hours before, and of that first day, fill in.
    const until = firstDay === null ? now + 1 : firstDay + DAY;
    const hours = await settle(history.rollups(monitorId, "hour", from, until));
    if (hours.length > 0) days = [...daysOf(hours), ...stored.filter((b) => b.start >= until)];
  }
  const h = summarize(days, now);
  return {
    days: h.days,
    uptime: {
      d1: uptimeOf([...first1, ...lastDay]),
      d7: uptimeOf([...first7, ...head7, ...days.filter((b) => b.start >= edge(7 * DAY))]),
      d30: uptimeOf([...first30, ...head30, ...days.filter((b) => b.start >= edge(30 * DAY))]),
      d90: uptimeOf(days),
    },
    latency: lastDay.map((b) => b.p50).filter((v): v is number => v !== null),
  };
}

/** Hour buckets added up into UTC days (counts only: the bars and uptime need no percentiles). */
function daysOf(hours: RollupBucket[]): RollupBucket[] {
  const out = new Map<number, RollupBucket>();
  for (const h of hours) {
    const start = Math.floor(h.start / DAY) * DAY;
    const d = out.get(start) ?? { start, count: 0, failures: 0, errors: 0, p50: null, p95: null, p99: null, max: null };
    d.count += h.count;
    d.failures += h.failures;
    d.errors += h.errors;
    d.max = h.max === null ? d.max : Math.max(d.max ?? 0, h.max);
    out.set(start, d);
  }
  return [...out.values()];
}

/**
 * The same from 90 days of hour rollups (2,160 rows a monitor): what the views read before day
 * rollups existed, kept as the overview benchmark's baseline (bench/views).
 */
export async function monitorHistoryFromHours(history: HistoryLog | null, monitorId: string, now: number): Promise<MonitorHistory> {
  const today = Math.floor(now / DAY) * DAY;
  const from = today - (HISTORY_DAYS - 1) * DAY;
  const buckets = history ? await history.rollups(monitorId, "hour", from, now + 1) : [];
  return summarize(buckets, now);
}

export function summarize(buckets: RollupBucket[], now: number): MonitorHistory {
  const today = Math.floor(now / DAY) * DAY;
  const from = today - (HISTORY_DAYS - 1) * DAY;
  const days: DayBar[] = [];
  for (let i = 0; i < HISTORY_DAYS; i++) days.push({ start: from + i * DAY, count: 0, failures: 0, errors: 0, uptime: null });
  for (const b of buckets) {
    const day = days[Math.floor((b.start - from) / DAY)];
    if (!day) continue;
    day.count += b.count;
    day.failures += b.failures;
    day.errors += b.errors;
  }
  // Buckets written before a check error counted as a failure only (onError: "fail") hold it in
  // both: such a day reads 0 %, never below.
  for (const d of days) d.uptime = d.count - d.errors > 0 ? Math.max(0, (d.count - d.errors - d.failures) / (d.count - d.errors)) : null;
  const within = (ms: number) => buckets.filter((b) => b.start >= now - ms);
  return {
    days,
    uptime: { d1: uptimeOf(within(DAY)), d7: uptimeOf(within(7 * DAY)), d30: uptimeOf(within(30 * DAY)), d90: uptimeOf(buckets) },
    latency: within(DAY)
      .map((b) => b.p50)
      .filter((v): v is number => v !== null),
  };
}

/** "99.95%", "100%", "—". */
export function percent(value: number | null): string {
  if (value === null) return "—";
  if (value >= 1) return "100%";
  // Never round a failure up to 100%.
  return `${(Math.floor(value * 10000) / 100).toFixed(2)}%`;
}

/** Waits for a value that may be a promise (ports answer Awaitable). */
export async function settle<T>(value: Awaitable<T>): Promise<T> {
  return value;
}
