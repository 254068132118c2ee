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
 * Runs a check with a hard deadline. The check gets an abort signal at the deadline; if it ignores
 * the signal its promise is abandoned, so a hung check frees its concurrency slot and never
 * delays the other monitors. A throwing check becomes an error outcome.
 */
export async function runWithDeadline(
  run: CheckRunner,
  monitor: MonitorSpec,
  ctx: Omit<CheckContext, "signal">,
  clock: Clock,
): Promise<CheckOutcome> {
  const controller = new AbortController();
  const deadlineMs = deadlineOf(monitor);
  const started = clock.now();
  let timer: { cancel(): void } | undefined;
  const hung = new Promise<CheckOutcome>((resolve) => {
    timer = clock.setTimer(() => {
      controller.abort(new Error("deadline"));
      resolve({ kind: "error", error: `check did not finish within ${deadlineMs} ms`, durationMs: clock.now() - started });
    }, deadlineMs);
  });
  const attempt = Promise.resolve()
    .then(() => run(monitor, { ...ctx, signal: controller.signal }))
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
