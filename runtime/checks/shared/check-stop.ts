import { CheckError } from "../check-error.js";
import { onAbort } from "./abort-fanout.js";
import { abortReason } from "./deadline.js";

/** Tells work to stop, with the classified reason: what an AbortSignal does, without an EventTarget per check. */
export interface StopHook {
  /** Calls `fn` once when the work must stop (at once if it already must); returns the function that takes it back. */
  onStop(fn: (reason: CheckError) => void): () => void;
}

/** What a request follows to learn that it must stop: an AbortSignal, or a check's own stop hook. */
export type StopSource = AbortSignal | StopHook;

/** Follows either kind of stop source; `fn` gets the classified reason. */
export function whenStopped(source: StopSource, fn: (reason: CheckError) => void): () => void {
  if ("onStop" in source) return source.onStop(fn);
  return onAbort(source, () => fn(abortReason(source)));
}

/**
 * One check's stop: its timeout, the runtime's shutdown, or its answer being taken. A check that
 * only sends a request (HTTP, PromQL) follows it through `onStop`; the AbortSignal that other kinds
 * (DNS, TCP, scripts, TLS reads) are given is made only when one of them asks for it. Every
 * AbortSignal made per check outlived the young generation and, at a thousand checks a second,
 * was a measurable share of the garbage collector's work.
 */
export class CheckStop implements StopHook {
  private controller: AbortController | null = null;
  private first: ((reason: CheckError) => void) | null = null;
  private rest: Set<(reason: CheckError) => void> | null = null;
  private stopped: CheckError | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.stopped);
    }
    return this.controller.signal;
  }

  get reason(): CheckError | null {
    return this.stopped;
  }

  onStop(fn: (reason: CheckError) => void): () => void {
    if (this.stopped) {
      fn(this.stopped);
      return noop;
    }
    if (this.first === null) {
      this.first = fn;
      return () => {
        if (this.first === fn) this.first = null;
      };
    }
    const rest = (this.rest ??= new Set());
    rest.add(fn);
    return () => void rest.delete(fn);
  }

  /** Stops the check with `reason`; later calls change nothing. */
  stop(reason: CheckError): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.controller?.abort(reason);
    const first = this.first;
    this.first = null;
    first?.(reason);
    if (this.rest) for (const fn of this.rest) fn(reason);
    this.rest = null;
  }
}

const noop = (): void => undefined;
