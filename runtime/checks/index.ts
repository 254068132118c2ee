import { performance } from "node:perf_hooks";
import type { CheckSpec, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult } from "../../sdk/result.js";
import { durationMs } from "../../sdk/duration.js";
import { CheckError, errorExcerpt } from "./check-error.js";
import type { CheckContext, CheckOutcome } from "./types.js";
import { onAbort } from "./shared/abort-fanout.js";
import { CheckStop } from "./shared/check-stop.js";
import { RunnerContext } from "./runner-context.js";
import { formatMs } from "./shared/deadline.js";
import { redactUrlsInText, redactUrlsInValue } from "../redact-url.js";
import { scrubResult, scrubText, trackSecrets } from "./shared/secret-scrub.js";
import { runDnsCheck } from "./dns/dns-check.js";
import { runHeartbeatCheck } from "./heartbeat/heartbeat-check.js";
import { runHttpCheck } from "./http/http-check.js";
import { runHttpWindowCheck } from "./http-window/http-window-check.js";
import { runManualCheck } from "./manual/manual-check.js";
import { runPrometheusCheck } from "./prometheus/prometheus-check.js";
import { runScriptCheck } from "./script/script-check.js";
import { runTcpCheck } from "./tcp/tcp-check.js";
import { runWebhookCheck } from "./webhook/webhook-check.js";

export { CheckError, isCheckError, type CheckErrorReason } from "./check-error.js";
export { InMemoryInboundEvents } from "./inbound-memory.js";
export { DEFAULT_EMERGENCY_HOLD_MS } from "./manual/manual-check.js";
export type { CheckContext, CheckOutcome, InboundEvents, UptimeReport } from "./types.js";

/** Timeout for kinds without one of their own (they read local state and should be instant). */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
/** Time a runner gets after its signal aborts to settle with its own answer before it is cut off. */
export const ABORT_GRACE_MS = 100;

/** Abort reason for a runner abandoned after its answer came in; one shared object, no stack per check. */
const CHECK_FINISHED = new CheckError("aborted", "check finished");

/** The check's timeout: its own `timeout`, or DEFAULT_CHECK_TIMEOUT_MS for event-driven kinds. */
export function checkTimeoutMs(check: CheckSpec): number {
  return "timeout" in check ? durationMs(check.timeout) : DEFAULT_CHECK_TIMEOUT_MS;
}

/**
 * The secret values a check's output is scrubbed of: those it read through `secret()`, and every
 * declared secret's value where the output may quote something that could hold one the check never
 * sent: project code's (a script, an httpWindow's extract function), which could read one any other
 * way; a Prometheus series' labels, which are the target's; and a failing http or httpWindow
 * result or a check error, which quote the target's answer (a debug page that prints its
 * environment). A passing http result holds only the check's own words (status and latency), so
 * it pays for no secret it did not read.
 */
function scrubSecretsOf(monitor: MonitorSpec, ctx: CheckContext, read: string[], failing: boolean): string[] {
  const { kind } = monitor.check;
  const runsCode = kind === "script" || (kind === "httpWindow" && monitor.check.extract === null);
  const quotesTarget = kind === "prometheus" || (failing && (kind === "http" || kind === "httpWindow"));
  if (!(runsCode || quotesTarget) || !ctx.secretValues) return read;
  return [...new Set([...read, ...ctx.secretValues()])];
}

/**
 * Runs a monitor's check once. Never throws: whatever goes wrong becomes `{ kind: "error" }` with
 * a classified, secret-free message. The timeout is enforced here even against a runner that hangs
 * or ignores its signal: the signal aborts at the timeout and the runner is abandoned shortly after.
 */
export async function runCheck(monitor: MonitorSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const started = performance.now();
  const timeoutMs = checkTimeoutMs(monitor.check);
  const secrets = trackSecrets(ctx.secret);
  // The runner's stop: an AbortSignal only if the runner asks for one (check-stop.ts).
  const stop = new CheckStop();
  // The timeout error is made only when the timer fires: an Error captures a stack, and at
  // thousands of checks a second that garbage shows in heap size and scheduling lag.
  let abortTimer: NodeJS.Timeout | undefined;
  let cutOffTimer: NodeJS.Timeout | undefined;
  let release = (): void => undefined;
  // Only this function stops the runner before the check settles, so it rejects the cut-off
  // itself instead of listening to its own stop. A timeout gives the runner ABORT_GRACE_MS to
  // answer with its own classified error; a cancellation cuts it off at once.
  const cutOff = new Promise<never>((_resolve, reject) => {
    abortTimer = setTimeout(() => {
      const timedOut = new CheckError("timeout", `check of ${monitor.id} timed out after ${formatMs(timeoutMs)}`);
      stop.stop(timedOut);
      cutOffTimer = setTimeout(() => reject(timedOut), ABORT_GRACE_MS);
    }, timeoutMs);
    release = onAbort(ctx.signal, () => {
      if (stop.reason) return; // timed out already: the grace runs its course
      const cancelled = new CheckError("aborted", `check of ${monitor.id} was cancelled`);
      stop.stop(cancelled);
      reject(cancelled);
    });
  });
  const runnerCtx = new RunnerContext(ctx, monitor.id, stop, started + timeoutMs, secrets.secret);
  try {
    const results = await Promise.race([dispatch(monitor.check, runnerCtx), cutOff]);
    // URL credentials are not declared secrets; they are cleaned before a result is stored or shown.
    const read = secrets.values();
    const scrubWith = scrubSecretsOf(monitor, ctx, read, false);
    const failingWith = results.some((r: CheckResult) => !r.ok) ? scrubSecretsOf(monitor, ctx, read, true) : scrubWith;
    return { kind: "results", results: results.map((r: CheckResult) => redactUrlsInValue(scrubResult(r, r.ok ? scrubWith : failingWith))) };
  } catch (error) {
    const classified = classify(error, monitor.id);
    return {
      kind: "error",
      error: redactUrlsInText(scrubText(classified.message, scrubSecretsOf(monitor, ctx, secrets.values(), true))),
      reason: classified.reason,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } finally {
    clearTimeout(abortTimer);
    clearTimeout(cutOffTimer);
    release();
    // The abandoned runner (if any) still follows the stop; stop it so its sockets are released.
    stop.stop(CHECK_FINISHED);
  }
}

function dispatch(check: CheckSpec, ctx: CheckContext): Promise<CheckResult[]> {
  switch (check.kind) {
    case "http":
      return runHttpCheck(check, ctx);
    case "httpWindow":
      return runHttpWindowCheck(check, ctx);
    case "prometheus":
      return runPrometheusCheck(check, ctx);
    case "dns":
      return runDnsCheck(check, ctx);
    case "tcp":
      return runTcpCheck(check, ctx);
    case "heartbeat":
      return runHeartbeatCheck(check, ctx);
    case "webhook":
      return runWebhookCheck(check, ctx);
    case "script":
      return runScriptCheck(check, ctx);
    case "manual":
      return runManualCheck(check, ctx);
    default: {
      const never: never = check;
      return Promise.reject(new CheckError("config", `unknown check kind ${String((never as { kind?: unknown }).kind)}`));
    }
  }
}

function classify(error: unknown, monitorId: string): CheckError {
  if (error instanceof CheckError) return error;
  // Not classified where it happened: a bug in a runner. Say so without dumping internals.
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CheckError("code", `check of ${monitorId} failed unexpectedly: ${errorExcerpt(text)}`);
}
