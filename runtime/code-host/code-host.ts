import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { RUNTIME_SECRET_NAMES } from "../../sdk/reserved-secrets.js";
import { checkSeal, codeWorkerMain } from "./code-worker.js";

/** The project's functions the runtime calls. */
export type CodeFunction = "condition" | "summary" | "extract" | "run";

export interface CodeHostOptions {
  /** file: URL of `monitors.mjs` (with a version query, so a rebuilt bundle is imported afresh). */
  bundleUrl: string;
  /** The sha256 the manifest seals the bundle with: every worker imports it only while the file still has it. */
  bundleSha256?: string | null;
  logger: Logger;
  /** Code that does not return for this long is stopped (default 2 s). */
  stallMs?: number;
  /** How long a monitor whose code was stopped is not run again (default 5 minutes). */
  quarantineMs?: number;
  /** How long a condition, summary or extract call waits for its answer (default 10 s). */
  callDeadlineMs?: number;
  /** The worker's heap limit (default 256 MB): code that leaks ends its thread, not the runtime. */
  heapMb?: number;
  /** Called when the worker is replaced, with the reason (metrics). */
  onRestart?: (reason: "stalled" | "exited" | "unanswered") => void;
}

export interface CallOptions {
  /** For `run`: the script's own time limit; the script's signal aborts then. */
  timeoutMs?: number;
  /** For `run`: the declared secrets' values the script may ask for by name. */
  secrets?: Record<string, string>;
  /** For `run`: aborting it abandons the call (the check's deadline or the runtime's stop). */
  signal?: AbortSignal;
}

/**
 * A call the host did not complete (stopped, held back, not loaded); `message` reads after
 * "<fn> of <monitor> ". An error the code itself threw arrives as a plain Error with its message.
 */
export class CodeHostError extends Error {}

const DEFAULT_STALL_MS = 2_000;
const DEFAULT_QUARANTINE_MS = 5 * 60_000;
const DEFAULT_HEAP_MB = 256;
/** Text the worker sends back (errors, summaries) is cut to this many characters. */
const TEXT_MAX = 64 * 1024;
/** Calls remembered by id after they finish, to name the monitor whose leftover code held the worker. */
const RECENT_CALLS = 4096;
/** How long a condition, summary or extract call may wait for its answer (a healthy worker answers at once). */
const CALL_DEADLINE_MS = 10_000;
/** After the bundle failed to load in a worker, how long calls fail at once before another worker tries. */
const LOAD_RETRY_MS = 30_000;
/** How long the bundle may take to load in a new worker. */
const LOAD_TIMEOUT_MS = 30_000;
/** slot[0] while the worker runs a callback no call started (code-worker.ts). */
const OUTSIDE_CALLS = -1;

/** The worker's program: its body, called with what a transformed function cannot reach itself. */
const WORKER_SOURCE = `(${codeWorkerMain.toString()})(async (url, sha256) => { (${checkSeal.toString()})(url, sha256, require("node:fs"), require("node:crypto")); return import(url); }, require("node:worker_threads"), require("node:async_hooks"))`;

interface Pending {
  id: number;
  monitorId: string;
  fn: CodeFunction;
  args: unknown[];
  options: CallOptions;
  /** Times this call was in flight when the worker was replaced and nobody's code was marked as the cause. */
  suspected: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onAbort?: () => void;
  /** For a call other than `run`: the answer's deadline. */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Runs the project's code in a worker thread, never on the runtime's own thread: a condition or a
 * script that loops forever, calls `process.exit`, or fills its heap stops that thread, and the
 * runtime ends it, fails that monitor's call, and starts another thread for the rest.
 *
 * Whose code did not return is known exactly (the worker marks the running call in shared
 * memory, continuations included); every other call that was in flight on that thread is sent
 * again once on the new one, so an endless loop in one monitor never fails another. The monitor
 * whose code was stopped is not run again for a while (quarantine): its calls fail at once,
 * rather than costing the stall limit and a new thread every tick.
 */
export class CodeHost {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The running worker's shared slot (code-worker.ts): whose code runs, and a count of changes. */
  private slot = new Int32Array(new SharedArrayBuffer(8));
  /** A bundle that would not load in the worker: calls fail with this until the time passes, then a new worker tries. */
  private loadFailure: { until: number; error: CodeHostError } | null = null;
  private watch: ReturnType<typeof setInterval> | null = null;
  private lastBeat = -1;
  private beatSince = 0;
  private readonly quarantined = new Map<string, { until: number; reason: string }>();
  private closed = false;
  /** The loaded bundle's functions by monitor id, as the worker reported them. */
  private exported: Record<string, CodeFunction[]> = {};
  /** The latest calls, finished or not, by id: code a call left running (a timer) is still its monitor's. */
  private readonly recent = new Map<number, { monitorId: string; fn: CodeFunction }>();
  private readonly stallMs: number;
  private readonly quarantineMs: number;
  /** Said once per runtime: each new worker loads the same bundle and cancels the same timers. */
  private warnedLoadTimers = false;

  constructor(private readonly o: CodeHostOptions) {
    this.stallMs = o.stallMs ?? DEFAULT_STALL_MS;
    this.quarantineMs = o.quarantineMs ?? DEFAULT_QUARANTINE_MS;
  }

  /** Calls one of a monitor's functions in the worker; resolves with what it returned (copied). */
  call(monitorId: string, fn: CodeFunction, args: unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new CodeHostError("was not run: the runtime is stopping"));
    const held = this.quarantined.get(monitorId);
    if (held && held.until > performance.now()) return Promise.reject(new CodeHostError(held.reason));
    if (held) this.quarantined.delete(monitorId);
    if (this.loadFailure && this.loadFailure.until > performance.now()) return Promise.reject(this.loadFailure.error);
    if (options.signal?.aborted) return Promise.reject(options.signal.reason instanceof Error ? options.signal.reason : new CodeHostError("was stopped"));
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, monitorId, fn, args, options, suspected: 0, resolve, reject };
      if (options.signal) {
        const signal = options.signal;
        p.onAbort = () => {
          if (!this.pending.delete(p.id)) return;
          this.worker?.postMessage({ t: "abort", id: p.id });
          this.settled();
          reject(signal.reason instanceof Error ? signal.reason : new CodeHostError("was stopped"));
        };
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.pending.set(p.id, p);
      this.recent.set(p.id, { monitorId, fn });
      if (this.recent.size > RECENT_CALLS) this.recent.delete(this.recent.keys().next().value!);
      this.send(p);
    });
  }

  /**
   * What each monitor exports of the functions the runtime calls, as the bundle loaded in a worker
   * says: the runtime's own thread never imports the project's code (its top level could replace
   * globals the runtime uses, or set timers that run there). Rejects with why the bundle did not load.
   */
  async exports(): Promise<Record<string, CodeFunction[]>> {
    await (this.ready ?? this.start());
    return this.exported;
  }

  /** Ends the worker; calls in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    for (const p of this.pending.values()) this.finish(p, new CodeHostError("was not finished: the runtime stopped"));
    this.pending.clear();
    if (worker) await worker.terminate().catch(() => undefined);
  }

  private send(p: Pending): void {
    const ready = this.ready ?? this.start();
    const message = { t: "call", id: p.id, monitorId: p.monitorId, fn: p.fn, args: p.args, timeoutMs: p.options.timeoutMs, secrets: p.options.secrets };
    const worker = this.worker;
    ready.then(
      () => {
        if (this.worker !== worker || !this.pending.has(p.id)) return;
        try {
          worker!.postMessage(message);
          if (p.fn !== "run") this.answerBy(p, worker!);
        } catch (error) {
          // What the runtime passes is plain data; a value that cannot be copied is the call's failure alone.
          this.pending.delete(p.id);
          this.finish(p, new CodeHostError(`could not be called: ${(error as Error).message}`));
          return;
        }
        this.startWatching();
      },
      (error: Error) => {
        if (this.pending.delete(p.id)) this.finish(p, error);
      },
    );
  }

  /**
   * A healthy, loaded worker answers a condition, summary or extract at once; one that takes calls
   * and answers none (the code closed its message port) must not hold ticks for ever.
   */
  private answerBy(p: Pending, worker: Worker): void {
    if (p.timer) clearTimeout(p.timer);
    const deadline = this.o.callDeadlineMs ?? CALL_DEADLINE_MS;
    p.timer = setTimeout(() => {
      if (!this.pending.delete(p.id)) return;
      this.settled();
      this.finish(p, new CodeHostError(`got no answer from the code worker within ${formatMs(deadline)}`));
      if (this.worker === worker) this.replace("unanswered", "the code worker stopped answering");
    }, deadline);
    p.timer.unref();
  }

  private start(): Promise<void> {
    this.slot = new Int32Array(new SharedArrayBuffer(8));
    const slot = this.slot;
    let loaded = false;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url: this.o.bundleUrl, sha256: this.o.bundleSha256 ?? null, shared: slot.buffer, textMax: TEXT_MAX, heartbeatMs: this.heartbeatMs() },
      resourceLimits: { maxOldGenerationSizeMb: this.o.heapMb ?? DEFAULT_HEAP_MB },
      // What the code prints (a script's debugging console.log) goes through the runtime's log,
      // which redacts it, not straight to its stdout, where a secret it printed would stay.
      stdout: true,
      stderr: true,
      env: projectEnv(process.env),
    });
    // The runtime does not wait for this thread to exit.
    worker.unref();
    printedTo(this.o.logger, worker.stdout, "stdout");
    printedTo(this.o.logger, worker.stderr, "stderr");
    this.worker = worker;
    let fail: (error: CodeHostError) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      fail = reject;
      worker.on("message", (m: { t: string; id?: number; ok?: boolean; value?: unknown; error?: string }) => {
        if (m.t === "ready") {
          loaded = true;
          const ready = m as { exports?: Record<string, CodeFunction[]>; cancelledTimers?: number };
          this.exported = ready.exports ?? {};
          if ((ready.cancelledTimers ?? 0) > 0 && !this.warnedLoadTimers) {
            this.warnedLoadTimers = true;
            this.o.logger.warn(
              { timers: ready.cancelledTimers },
              "monitors.mjs set timers at its top level while loading; they were cancelled: a monitor's code runs only in its condition, summary, extract or script (move the work there)",
            );
          }
          return resolve();
        }
        if (m.t === "failed") return reject(new CodeHostError(`could not be run: monitors.mjs did not load in the code worker: ${m.error}`));
        if (m.t === "stray") return this.o.logger.warn({ error: m.error }, "the project's code threw outside any call (a timer or an unawaited promise); it was ignored");
        if (m.t !== "done" || m.id === undefined) return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.settled();
        if (m.ok) this.finish(p, null, m.value);
        // The code's own error, as it would read had the code run in this thread.
        else this.finish(p, new Error(m.error));
      });
      let failure: Error | null = null;
      worker.on("error", (error) => {
        failure = error;
      });
      worker.on("exit", (code) => {
        if (this.worker !== worker) return;
        const outOfHeap = (failure as { code?: string } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
        const how = outOfHeap ? `the code filled the worker's ${this.o.heapMb ?? DEFAULT_HEAP_MB} MB heap` : failure ? `the code worker failed: ${failure.message}` : `the code ended the worker (process.exit(${code}))`;
        if (!loaded) return reject(new CodeHostError(`could not be run: monitors.mjs did not load in the code worker: ${how}`));
        this.replace("exited", how);
      });
    });
    // Top-level code that never finishes must not hold every call for ever.
    const loading = setTimeout(() => {
      if (!loaded) fail(new CodeHostError(`could not be run: monitors.mjs did not finish loading in the code worker within ${formatMs(LOAD_TIMEOUT_MS)}`));
    }, LOAD_TIMEOUT_MS);
    loading.unref();
    // A bundle that cannot load fails every call with the reason; the next call tries a new thread.
    this.ready.catch((error: CodeHostError) => {
      this.loadFailure = { until: performance.now() + LOAD_RETRY_MS, error };
      this.o.logger.error({ err: error }, `the project's code could not be loaded in its worker; calls fail for ${formatMs(LOAD_RETRY_MS)}, then a new worker tries`);
      if (this.worker === worker) {
        this.worker = null;
        this.ready = null;
        void worker.terminate();
      }
    });
    return this.ready;
  }

  /**
   * The worker stalled or ended: the call whose code was running fails (and its monitor is held
   * back), every other call in flight goes to a new worker once.
   */
  private replace(why: "stalled" | "exited" | "unanswered", what: string): void {
    const worker = this.worker;
    const culprit = Atomics.load(this.slot, 0);
    this.worker = null;
    this.ready = null;
    this.stopWatching();
    if (worker) void worker.terminate();
    this.o.onRestart?.(why);
    // Whose code held or ended the thread: a call in flight, or one that finished but left code
    // running (a timer it set). Without a mark nobody is blamed, and every call in flight is sent again.
    const owner = culprit <= 0 ? undefined : this.pending.get(culprit) ?? this.recent.get(culprit);
    const blamed = owner ? this.pending.get(culprit) : undefined;
    // Code no call started (a promise or connection the bundle set going when it loaded): no
    // monitor can be held back for it, and no call in flight is to blame.
    const outside = culprit === OUTSIDE_CALLS;
    if (outside) {
      this.o.logger.error(
        { inFlight: [...this.pending.values()].map((p) => p.monitorId) },
        `the project's code worker was replaced: ${what}, in code monitors.mjs runs outside any monitor's function (a promise, connection or callback its top level started); the calls in flight are sent again`,
      );
    } else if (owner) {
      const reason = why === "stalled" ? `ran for more than ${formatMs(this.stallMs)} without returning (an endless loop?) and was stopped` : `was running when ${what}`;
      this.quarantined.set(owner.monitorId, {
        until: performance.now() + this.quarantineMs,
        reason: `is held back for ${formatMs(this.quarantineMs)}: its ${owner.fn} ${reason}`,
      });
      this.o.logger.error({ monitorId: owner.monitorId, function: owner.fn }, `the project's ${owner.fn} of ${owner.monitorId} ${reason}; its code is not run again for ${formatMs(this.quarantineMs)}`);
      if (blamed) {
        this.pending.delete(blamed.id);
        this.finish(blamed, new CodeHostError(reason));
      }
    } else {
      this.o.logger.error({ inFlight: [...this.pending.values()].map((p) => p.monitorId) }, `the project's code worker was replaced: ${what}; no call was running, so the calls in flight are sent again`);
    }
    // A replacement whose cause is known is another monitor's doing: the calls in flight go again
    // however often that happens. One whose cause is unknown makes each of them a suspect, and a
    // suspect twice over fails, so code that ends the worker unmarked cannot do it for ever.
    for (const p of this.pending.values()) {
      if (!owner && !outside) {
        if (p.suspected >= 1) {
          this.pending.delete(p.id);
          this.finish(p, new CodeHostError(`was in flight twice when the code worker was replaced for no call's fault (${what})`));
          continue;
        }
        p.suspected++;
      }
      if (!this.closed) this.send(p);
    }
  }

  private finish(p: Pending, error: Error | null, value?: unknown): void {
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.options.signal?.removeEventListener("abort", p.onAbort);
    if (error) p.reject(error);
    else p.resolve(value);
  }

  /** Watches for a stall while calls are in flight: the worker's heartbeat must move within the limit. */
  private startWatching(): void {
    if (this.watch) return;
    this.lastBeat = Atomics.load(this.slot, 1);
    this.beatSince = performance.now();
    this.watch = setInterval(() => this.checkStall(), this.heartbeatMs());
    this.watch.unref();
  }

  private heartbeatMs(): number {
    return Math.max(10, Math.min(250, Math.floor(this.stallMs / 8)));
  }

  private stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
  }

  private settled(): void {
    if (this.pending.size === 0) this.stopWatching();
  }

  private checkStall(): void {
    const beat = Atomics.load(this.slot, 1);
    const now = performance.now();
    if (beat !== this.lastBeat) {
      this.lastBeat = beat;
      this.beatSince = now;
      return;
    }
    if (now - this.beatSince >= this.stallMs) this.replace("stalled", `code held the worker for more than ${formatMs(this.stallMs)}`);
  }
}

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** A line the code printed is logged in pieces of at most this many characters. */
const PRINTED_LINE_MAX = 16 * 1024;

/**
 * Each line the project's code writes to one of its streams, as a log line of the runtime (info for
 * stdout, warn for stderr), so the log's redaction applies to it. A line without its end yet is
 * held until it comes, up to PRINTED_LINE_MAX characters, and whatever is held when the stream ends.
 */
function printedTo(logger: Logger, stream: Readable, name: "stdout" | "stderr"): void {
  let held = "";
  const log = (line: string) => {
    if (line === "") return;
    if (name === "stdout") logger.info({ stream: name }, `the project's code printed: ${line}`);
    else logger.warn({ stream: name }, `the project's code printed: ${line}`);
  };
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    held += chunk;
    for (let end = held.indexOf("\n"); end !== -1; end = held.indexOf("\n")) {
      log(held.slice(0, end).replace(/\r$/, ""));
      held = held.slice(end + 1);
    }
    while (held.length > PRINTED_LINE_MAX) {
      log(held.slice(0, PRINTED_LINE_MAX));
      held = held.slice(PRINTED_LINE_MAX);
    }
  });
  stream.on("end", () => {
    log(held);
    held = "";
  });
}

/**
 * The environment the project's code sees: the process's, without the runtime's own secrets (its
 * API token, the webhook signing key, the Redis URL) and settings (`WK_*`, `WATCHKEEPER_*`). A
 * script reads its secrets through `secret()`; what it returns is scrubbed of every one anyway.
 */
export function projectEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || RUNTIME_SECRET_NAMES.includes(name) || name.startsWith("WK_") || name.startsWith("WATCHKEEPER_")) continue;
    out[name] = value;
  }
  return out;
}
