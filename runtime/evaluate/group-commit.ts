import type { CommitOutcome, VersionedAlert } from "../alerts/alert-store.js";
import type { Awaitable } from "../awaitable.js";
import type { EvaluationCommit, EvaluationOutcome, EvaluationStore } from "./evaluation-store.js";

/** Largest batch: the runtime's checks in flight (256 by default) fit in one. */
const DEFAULT_MAX_BATCH = 256;

/**
 * How long a batch may wait for ticks still running (the runtime's default). At 1,000 checks a
 * second spread over the period, checks rarely finish in the same turn of the event loop, so
 * without a wait nearly every check paid a transaction of its own (its locks, its WAL write of
 * the same newest pages); with it, CPU per check fell by about a fifth (bench/results/runtime.md).
 * A transition is written, and its notification sent, at most this much later.
 */
export const COMMIT_WINDOW_MS = 10;

/**
 * How long one synchronous write (SQLite) should hold the event loop. A write's cost per evaluation
 * grows with the file: on a week of history (25 GB) a cold page costs a 20 ms read, and the
 * evaluations queued behind a commit hold (sqlite/checkpointer.ts) went in as one batch, once 122
 * of them in 69 ms (bench/results/history.md). Each write is timed and the next batch sized to fit
 * this, as the pruner's are (store/pruner.ts). A single evaluation that waits on the disk is not
 * bounded by it.
 */
export const COMMIT_TARGET_MS = 10;
/** The smallest batch a slow write shrinks the next one to. */
const MIN_TIMED_BATCH = 16;

interface Waiting {
  commit: EvaluationCommit;
  resolve(outcome: CommitOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit for ticks: evaluations that finish close together share one store write (one
 * SQLite transaction, one Redis round trip). An evaluation waits for the next macrotask (or for
 * the batch to fill; while other ticks are running or due, up to `windowMs` for them to join), is
 * written with the others queued by then, and its promise settles only
 * after ITS batch is durable: a tick's continuation (metrics, logs, anything that follows the
 * transition) runs after the commit, and delivery reads intents from the store, so nothing is
 * sent for a transition that did not commit. One batch is written at a time; evaluations that
 * arrive meanwhile form the next. An evaluation the store refuses on its own (a constraint, a
 * value it cannot store) rejects with that error and the others still commit (the store falls
 * back to one by one); `conflict` resolves as with recordEvaluation.
 */
export class GroupCommit implements EvaluationStore {
  private queue: Waiting[] = [];
  private immediate = false;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly maxBatch: number;
  /** The next batch's size: maxBatch, or less after a slow synchronous write (targetMs). */
  private limit: number;
  private readonly windowMs: number;
  private readonly targetMs: number;
  private readonly stopwatch: () => number;
  private readonly othersComing: (queued: number) => boolean;

  /**
   * `othersComing(queued)` says whether more evaluations are on their way (a tick still running
   * beside the `queued` ones, or one due to start within the window): only then does a batch wait,
   * up to `windowMs`, for them. Otherwise (a lone tick, a test stepping one tick at a time) it is
   * written at the next turn of the event loop.
   * A write the store makes synchronously is timed (`stopwatch`, ms): one that took more than
   * `targetMs` makes the next batch smaller (down to 16), and a quicker one lets it grow back, at
   * most doubling, up to `maxBatch`. Between batches the event loop turns, so ticks due start on
   * time. An asynchronous store (Redis) holds no tick while it writes and keeps `maxBatch`.
   */
  constructor(
    private readonly store: EvaluationStore,
    options: { maxBatch?: number; windowMs?: number; targetMs?: number; stopwatch?: () => number; othersComing?: (queued: number) => boolean } = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.limit = this.maxBatch;
    this.windowMs = Math.max(0, options.windowMs ?? 0);
    this.targetMs = options.targetMs ?? COMMIT_TARGET_MS;
    this.stopwatch = options.stopwatch ?? (() => performance.now());
    this.othersComing = options.othersComing ?? (() => false);
  }

  /** The size the next batch may reach (for tests and benchmarks). */
  get batchLimit(): number {
    return this.limit;
  }

  readAlerts(monitorId: string): Awaitable<VersionedAlert[]> {
    return this.store.readAlerts(monitorId);
  }

  /** Queues the evaluation; settles once the batch it joined is committed (or refused). */
  recordEvaluation(commit: EvaluationCommit): Promise<CommitOutcome> {
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.queue.push({ commit, resolve, reject });
      if (this.queue.length >= this.limit && this.writing === null) void this.flush();
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
    if (this.writing !== null) return;
    // A full batch (one left behind by a smaller limit) goes at the next turn: waiting adds nothing.
    if (this.windowMs === 0 || this.queue.length >= this.limit || !this.othersComing(this.queue.length)) {
      if (this.immediate) return;
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        void this.flush();
      });
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.windowMs);
  }

  private flush(): Promise<void> {
    if (this.writing !== null) return this.writing;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, this.limit);
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
      const held = this.store.commitsHeld?.();
      if (held) await held;
      const started = this.stopwatch();
      const written = this.store.recordEvaluations(batch.map((w) => w.commit));
      if (!(written instanceof Promise)) this.limit = nextCommitBatch(this.limit, batch.length, this.stopwatch() - started, this.targetMs, this.maxBatch);
      outcomes = await written;
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

/**
 * The next batch's size after a synchronous write of `rows` evaluations took `spentMs`. A write
 * over `targetMs` shrinks it to what fits the target at this write's cost per evaluation (at least
 * 16, or `max`); one within it lets it grow towards what fits, at most doubling, up to `max`, and
 * never shrinks it: a quick write of a few rows says little about a full batch.
 */
export function nextCommitBatch(limit: number, rows: number, spentMs: number, targetMs: number, max: number): number {
  const fits = Math.floor((rows * targetMs) / Math.max(spentMs, 0.01));
  if (spentMs > targetMs) return Math.max(Math.min(MIN_TIMED_BATCH, max), Math.min(max, fits));
  return Math.min(max, Math.max(limit, Math.min(2 * limit, fits)));
}
