import type { CommitOutcome, VersionedAlert } from "../alerts/alert-store.js";
import type { Awaitable } from "../awaitable.js";
import type { EvaluationCommit, EvaluationOutcome, EvaluationStore } from "./evaluation-store.js";

/** Largest batch: the runtime's checks in flight (256 by default) fit in one. */
const DEFAULT_MAX_BATCH = 256;

interface Waiting {
  commit: EvaluationCommit;
  resolve(outcome: CommitOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit for ticks: evaluations that finish close together share one store write (one
 * SQLite transaction, one Redis round trip). An evaluation waits for the next macrotask (or for
 * the batch to fill), is written with the others queued by then, and its promise settles only
 * after ITS batch is durable: a tick's continuation (metrics, logs, anything that follows the
 * transition) runs after the commit, and delivery reads intents from the store, so nothing is
 * sent for a transition that did not commit. One batch is written at a time; evaluations that
 * arrive meanwhile form the next. An evaluation the store refuses on its own (a constraint, a
 * value it cannot store) rejects with that error and the others still commit (the store falls
 * back to one by one); `conflict` resolves as with recordEvaluation.
 */
export class GroupCommit implements EvaluationStore {
  private queue: Waiting[] = [];
  private scheduled = false;
  private writing: Promise<void> | null = null;
  private readonly maxBatch: number;

  constructor(
    private readonly store: EvaluationStore,
    options: { maxBatch?: number } = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  readAlerts(monitorId: string): Awaitable<VersionedAlert[]> {
    return this.store.readAlerts(monitorId);
  }

  /** Queues the evaluation; settles once the batch it joined is committed (or refused). */
  recordEvaluation(commit: EvaluationCommit): Promise<CommitOutcome> {
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.queue.push({ commit, resolve, reject });
      if (this.queue.length >= this.maxBatch && this.writing === null) void this.flush();
      else this.schedule();
    });
  }

  /** A caller's own batch goes straight to the store. */
  recordEvaluations(commits: readonly EvaluationCommit[]): Awaitable<EvaluationOutcome[]> {
    return this.store.recordEvaluations(commits);
  }

  /** Writes everything queued and waits for it (shutdown, before the store closes). */
  async drain(): Promise<void> {
    while (this.writing !== null || this.queue.length > 0) {
      if (this.writing !== null) await this.writing;
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing !== null) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    if (this.writing !== null) return this.writing;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      if (this.queue.length > 0) this.schedule();
    });
    return this.writing;
  }

  private async write(batch: Waiting[]): Promise<void> {
    let outcomes: EvaluationOutcome[];
    try {
      outcomes = await this.store.recordEvaluations(batch.map((w) => w.commit));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, n) => {
      const outcome = outcomes[n];
      if (outcome === undefined) w.reject(new Error("the store returned no outcome for this evaluation"));
      else if (outcome.kind === "failed") w.reject(outcome.error);
      else w.resolve(outcome);
    });
  }
}
