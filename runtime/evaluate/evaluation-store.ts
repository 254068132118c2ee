import type { AlertCommit, CommitOutcome, VersionedAlert } from "../alerts/alert-store.js";
import type { Awaitable } from "../awaitable.js";

/** One recorded check result (the last RECENT_RESULTS per monitor are kept). */
export interface ResultRow {
  monitorId: string;
  at: number;
  ok: boolean;
  /** Whether the alert condition held; null when the evaluation was unknown. */
  firing: boolean | null;
  value: number | null;
  message: string;
  labels: Record<string, string>;
  durationMs: number;
  /** Why the evaluation failed (check error, condition threw); null or absent when it ran. */
  error?: string | null;
}

/** How many results per monitor every store keeps. */
export const RECENT_RESULTS = 50;

/** One evaluation of a monitor: its alert changes, result rows and intents, all or nothing. */
export interface EvaluationCommit extends AlertCommit {
  monitorId: string;
  results: ResultRow[];
}

/** The store as a tick uses it: read a monitor's alerts with their versions, commit the evaluation. */
export interface EvaluationStore {
  readAlerts(monitorId: string): Awaitable<VersionedAlert[]>;
  /** On a conflict nothing is written, results included: the re-evaluation writes them. */
  recordEvaluation(commit: EvaluationCommit): Awaitable<CommitOutcome>;
}
