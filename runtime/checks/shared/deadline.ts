import { performance } from "node:perf_hooks";
import { CheckError } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { onAbort } from "./abort-fanout.js";
import type { StopSource } from "./check-stop.js";

/** A signal that aborts when the parent aborts or when `ms` elapses; `dispose` releases the timer and listener. */
export interface Deadline {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Combines the runtime's signal with a check's own timeout. The abort reason is a classified
 * CheckError, so whatever rejects with `signal.reason` already says "timeout" or "aborted".
 * (Built by hand rather than with AbortSignal.any: the parent signal lives for the whole process.)
 * `parentAbortsBy` (performance.now() time) says the parent already aborts by then, as runCheck's
 * signal does at the check's timeout: when that is no later than this deadline, the parent is the
 * deadline, and no second controller and timer are made for every check.
 */
export function deadline(parent: AbortSignal, ms: number, what: string, parentAbortsBy?: number): Deadline {
  if (parentAbortsBy !== undefined && parentAbortsBy <= performance.now() + ms) return { signal: parent, dispose: noop };
  const controller = new AbortController();
  const release = onAbort(parent, () => controller.abort(abortReason(parent)));
  const timer = setTimeout(() => controller.abort(new CheckError("timeout", `${what} timed out after ${formatMs(ms)}`)), ms);
  timer.unref?.();
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      release();
    },
  };
}

const noop = (): void => undefined;

/** A check's deadline as a request follows it (`stop`), with the AbortSignal for work that needs one. */
export interface CheckDeadline {
  stop: StopSource;
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * `deadline` for a runner that sends requests: when runCheck's own stop already comes by then (it
 * does at the check's timeout), the request follows that stop hook, and no AbortSignal is made
 * unless something reads `signal` (a TLS certificate read).
 */
export function checkDeadline(ctx: Pick<CheckContext, "signal" | "stop" | "signalAbortsBy">, ms: number, what: string): CheckDeadline {
  const stop = ctx.stop;
  if (stop && ctx.signalAbortsBy !== undefined && ctx.signalAbortsBy <= performance.now() + ms) {
    return {
      stop,
      get signal() {
        return ctx.signal;
      },
      dispose: noop,
    };
  }
  const d = deadline(ctx.signal, ms, what, ctx.signalAbortsBy);
  return { stop: d.signal, signal: d.signal, dispose: d.dispose };
}

/** The classified reason a signal was aborted with. */
export function abortReason(signal: AbortSignal): CheckError {
  const reason: unknown = signal.reason;
  if (reason instanceof CheckError) return reason;
  return new CheckError("aborted", "the check was cancelled");
}

/** Human duration for messages: `250ms`, `5s`, `1.5s`, `2m`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))}m`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}
