import type { VersionedAlert } from "../../../runtime/alerts/alert-store.js";
import type { Alert } from "../../../runtime/alerts/state.js";
import type { ResultRow } from "../../../runtime/evaluate/evaluation-store.js";
import type { NewSilence, Silence, SilenceLog } from "../../../runtime/notify/silences.js";
import type { AlertEvent, DeliveryAttemptEvent, HistoryLog, RollupBucket, RollupResolution } from "../../../runtime/store/history.js";
import type { ViewStore } from "../../../runtime/views/view-model.js";

/**
 * An in-memory store as the views read it, for unit tests of the pages only: the real adapters
 * (SQLite, Redis) implement HistoryLog and are what the browser tests run against.
 */
export class MemoryViewStore implements ViewStore, HistoryLog, SilenceLog {
  alerts: Alert[] = [];
  results: ResultRow[] = [];
  events: AlertEvent[] = [];
  attempts: DeliveryAttemptEvent[] = [];
  silences: Silence[] = [];
  diagnostics = new Map<string, string>();

  alertsOf(monitorId: string): Alert[] {
    return this.alerts.filter((a) => a.monitorId === monitorId);
  }
  allAlerts(): Alert[] {
    return this.alerts;
  }
  alertStates(): Record<string, number> {
    return {};
  }
  recentResults(monitorId: string, limit = 50): ResultRow[] {
    return this.results.filter((r) => r.monitorId === monitorId).sort((a, b) => b.at - a.at).slice(0, limit);
  }
  latestResults(): Map<string, ResultRow> {
    const out = new Map<string, ResultRow>();
    for (const r of [...this.results].sort((a, b) => a.at - b.at)) out.set(r.monitorId, r);
    return out;
  }
  /** From every result held (a store keeps the streak's start as results commit). */
  erroringSince(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of [...this.results].sort((a, b) => a.at - b.at)) {
      if (!r.error) out.delete(r.monitorId);
      else if (!out.has(r.monitorId)) out.set(r.monitorId, r.at);
    }
    return out;
  }
  erroringEnded(): Map<string, number> {
    const out = new Map<string, number>();
    const erroring = new Set<string>();
    for (const r of [...this.results].sort((a, b) => a.at - b.at)) {
      if (r.error) erroring.add(r.monitorId);
      else if (erroring.delete(r.monitorId)) out.set(r.monitorId, r.at);
    }
    for (const id of erroring) out.delete(id);
    return out;
  }
  writable(): boolean {
    return true;
  }
  readAlert(dedupKey: string): VersionedAlert | null {
    const alert = this.alerts.find((a) => a.dedupKey === dedupKey);
    return alert ? { alert, version: 1 } : null;
  }
  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): RollupBucket[] {
    const width = resolution === "minute" ? 60_000 : resolution === "hour" ? 3_600_000 : 86_400_000;
    const buckets = new Map<number, ResultRow[]>();
    for (const r of this.results) {
      if (r.monitorId !== monitorId || r.at < since || r.at >= until) continue;
      const start = Math.floor(r.at / width) * width;
      buckets.set(start, [...(buckets.get(start) ?? []), r]);
    }
    return [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, rows]) => {
        const d = rows.map((r) => r.durationMs).sort((a, b) => a - b);
        const q = (p: number) => d[Math.min(d.length - 1, Math.floor(p * d.length))]!;
        return { start, count: rows.length, failures: rows.filter((r) => r.firing === true).length, errors: rows.filter((r) => r.error || r.firing === null).length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: d[d.length - 1]! };
      });
  }
  resultsBetween(monitorId: string, since: number, until: number, limit: number): ResultRow[] {
    return this.recentResults(monitorId, Infinity).filter((r) => r.at >= since && r.at < until).slice(0, limit);
  }
  alertEvents(dedupKey: string): AlertEvent[] {
    return this.events.filter((e) => e.dedupKey === dedupKey).sort((a, b) => a.at - b.at);
  }
  deliveryAttempts(dedupKey: string): DeliveryAttemptEvent[] {
    return this.attempts.filter((e) => e.dedupKey === dedupKey).sort((a, b) => a.at - b.at);
  }
  alertDiagnostics(dedupKey: string): string | null {
    return this.diagnostics.get(dedupKey) ?? null;
  }
  addSilence(input: NewSilence): Silence {
    const s: Silence = { id: `s${this.silences.length + 1}`, kind: "silence", origin: "api", ...input };
    this.silences.push(s);
    return s;
  }
  expireSilence(id: string, now: number): boolean {
    const s = this.silences.find((x) => x.id === id);
    if (!s) return false;
    s.endsAt = Math.min(s.endsAt, now);
    return true;
  }
  currentSilences(now: number): Silence[] {
    return this.silences.filter((s) => now < s.endsAt);
  }
  silenceById(id: string): Silence | null {
    return this.silences.find((s) => s.id === id) ?? null;
  }
}
