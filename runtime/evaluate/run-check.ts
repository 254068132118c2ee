import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { parseDuration } from "../../sdk/duration.js";
import type { CheckContext, CheckOutcome } from "../checks/types.js";
import type { Clock } from "../scheduler/clock.js";

/** Runs one check; implemented by runtime/checks (`runCheck`). */
export type CheckRunner = ((monitor: MonitorSpec, ctx: CheckContext) => Promise<CheckOutcome>) & {
  /** Set when the runner itself settles within this many ms past the check's timeout and never rejects. */
  settlesWithinMs?: number;
};

/**
 * Marks a runner that enforces the check's timeout itself (runCheck cuts a runner off at the
 * timeout plus `graceMs` and turns every failure into an outcome): runWithDeadline then adds no
 * timer and promises of its own, which every check paid for and none needed.
 */
export function selfBounded(run: (monitor: MonitorSpec, ctx: CheckContext) => Promise<CheckOutcome>, graceMs: number): CheckRunner {
  const bounded: CheckRunner = (monitor, ctx) => run(monitor, ctx);
  bounded.settlesWithinMs = graceMs;
  return bounded;
}

/** Extra time past a check's own timeout before the runtime stops waiting for it. */
const DEADLINE_GRACE_MS = 1_000;
/** Event-driven checks (heartbeat, webhook, manual) have no timeout of their own. */
const DEFAULT_DEADLINE_MS = 10_000;

/** How long the runtime waits for a check before it counts as hung. */
export function deadlineOf(monitor: MonitorSpec): number {
  const timeout = "timeout" in monitor.check ? parseDuration(monitor.check.timeout) : undefined;
  return (timeout ?? DEFAULT_DEADLINE_MS - DEADLINE_GRACE_MS) + DEADLINE_GRACE_MS;
}

/**
 * Runs a check with a hard deadline. The check runner enforces the check's own timeout; this is
 * the safety net for a runner that does not: past the deadline its promise is abandoned, so a hung
 * check frees its concurrency slot and never delays the other monitors. A throwing check becomes
 * an error outcome. `ctx.signal` is the runtime's own (aborted at shutdown): no per-check
 * AbortController here, since every AbortSignal outlives the young generation and costs heap.
 */
export async function runWithDeadline(run: CheckRunner, monitor: MonitorSpec, ctx: CheckContext, clock: Clock): Promise<CheckOutcome> {
  const deadlineMs = deadlineOf(monitor);
  const started = clock.now();
  if (run.settlesWithinMs !== undefined && run.settlesWithinMs < DEADLINE_GRACE_MS) {
    try {
      return await run(monitor, ctx);
    } catch (error) {
      return thrown(error, clock.now() - started);
    }
  }
  let timer: { cancel(): void } | undefined;
  const hung = new Promise<CheckOutcome>((resolve) => {
    timer = clock.setTimer(
      () => resolve({ kind: "error", error: `check did not finish within ${deadlineMs} ms`, durationMs: clock.now() - started, reason: "timeout" }),
      deadlineMs,
    );
  });
  const attempt = Promise.resolve()
    .then(() => run(monitor, ctx))
    .catch((error: unknown): CheckOutcome => thrown(error, clock.now() - started));
  try {
    return await Promise.race([attempt, hung]);
  } finally {
    timer?.cancel();
  }
}

function thrown(error: unknown, durationMs: number): CheckOutcome {
  return { kind: "error", error: `check threw: ${error instanceof Error ? error.message : String(error)}`, durationMs };
}
