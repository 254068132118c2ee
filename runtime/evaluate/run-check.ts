import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { parseDuration } from "../../sdk/duration.js";
import type { CheckContext, CheckOutcome } from "../checks/types.js";
import type { Clock } from "../scheduler/clock.js";

/** Runs one check; implemented by runtime/checks (`runCheck`). */
export type CheckRunner = (monitor: MonitorSpec, ctx: CheckContext) => Promise<CheckOutcome>;

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
  let timer: { cancel(): void } | undefined;
  const hung = new Promise<CheckOutcome>((resolve) => {
    timer = clock.setTimer(
      () => resolve({ kind: "error", error: `check did not finish within ${deadlineMs} ms`, durationMs: clock.now() - started, reason: "timeout" }),
      deadlineMs,
    );
  });
  const attempt = Promise.resolve()
    .then(() => run(monitor, ctx))
    .catch((error: unknown): CheckOutcome => ({
      kind: "error",
      error: `check threw: ${error instanceof Error ? error.message : String(error)}`,
      durationMs: clock.now() - started,
    }));
  try {
    return await Promise.race([attempt, hung]);
  } finally {
    timer?.cancel();
  }
}
