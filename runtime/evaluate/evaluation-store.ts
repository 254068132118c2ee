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

/**
 * What became of one evaluation in a batch: committed, in conflict (nothing of it written), or
 * failed on its own (a constraint or a bad value; nothing of it written, the others unaffected).
 */
export type EvaluationOutcome = CommitOutcome | { kind: "failed"; error: unknown };

/** The store as a tick uses it: read a monitor's alerts with their versions, commit the evaluation. */
export interface EvaluationStore {
  readAlerts(monitorId: string): Awaitable<VersionedAlert[]>;
  /** On a conflict nothing is written, results included: the re-evaluation writes them. */
  recordEvaluation(commit: EvaluationCommit): Awaitable<CommitOutcome>;
  /**
   * Several evaluations in one durable write (one SQLite transaction, one Redis round trip), each
   * still all or nothing on its own: one outcome per commit, in order. When the promise settles
   * (or the call returns), every `committed` entry is durable. Throws only when the store itself
   * is unusable (closed), and then nothing of the batch is written.
   */
  recordEvaluations(commits: readonly EvaluationCommit[]): Awaitable<EvaluationOutcome[]>;
  /**
   * A promise a batch writer (GroupCommit) waits for before its next write, or null to write now:
   * SQLite holds commits for a moment while its checkpoint helper copies the last frames of a
   * grown WAL, so that the next commit starts the WAL over (sqlite/checkpointer.ts).
   */
  commitsHeld?(): Promise<void> | null;
}
