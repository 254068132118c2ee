import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult, ScriptOutcome } from "../../../sdk/result.js";
import { CheckError, errorExcerpt } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { deadline } from "../shared/deadline.js";
import { durationMs } from "../../../sdk/duration.js";

/**
 * Script check: calls the monitor's `run` export with the tick's time, the timeout signal and the
 * secret reader, and normalises what it returns. A throw is a `code` error carrying the script's
 * message (the runtime scrubs secret values from it).
 */
export async function runScriptCheck(spec: CheckSpecOf<"script">, ctx: CheckContext): Promise<CheckResult[]> {
  const run = ctx.code?.run;
  if (typeof run !== "function") {
    throw new CheckError("config", `monitors.mjs has no run export for monitor ${ctx.monitorId}`);
  }
  const limit = deadline(ctx.signal, durationMs(spec.timeout), `script of ${ctx.monitorId}`);
  const started = performance.now();
  try {
    let outcome: ScriptOutcome;
    try {
      outcome = await run({ now: ctx.now, signal: limit.signal, secret: ctx.secret });
    } catch (error) {
      if (error instanceof CheckError) throw error;
      if (limit.signal.aborted) throw limit.signal.reason as CheckError;
      const text = error instanceof Error ? error.message : String(error);
      throw new CheckError("code", `script of ${ctx.monitorId} threw: ${errorExcerpt(text)}`);
    }
    const elapsed = Math.round((performance.now() - started) * 10) / 10;
    return [normalise(outcome, ctx.monitorId, elapsed)];
  } finally {
    limit.dispose();
  }
}

/** Turns a boolean, a number or an object into a CheckResult; anything else is a code error. */
export function normalise(outcome: unknown, monitorId: string, elapsed: number): CheckResult {
  if (typeof outcome === "boolean") {
    return { ok: outcome, value: null, message: outcome ? "script passed" : "script failed", labels: {}, details: {}, durationMs: elapsed };
  }
  if (typeof outcome === "number") {
    if (!Number.isFinite(outcome)) throw new CheckError("code", `script of ${monitorId} returned ${outcome}, not a finite number`);
    return { ok: true, value: outcome, message: `script returned ${outcome}`, labels: {}, details: {}, durationMs: elapsed };
  }
  if (typeof outcome === "object" && outcome !== null && typeof (outcome as { ok?: unknown }).ok === "boolean") {
    const o = outcome as Exclude<ScriptOutcome, boolean | number>;
    const value = o.value ?? null;
    if (value !== null && (typeof value !== "number" || !Number.isFinite(value))) {
      throw new CheckError("code", `script of ${monitorId} returned value ${String(value)}, not a finite number`);
    }
    return {
      ok: o.ok,
      value,
      message: o.message ?? (o.ok ? "script passed" : "script failed"),
      labels: stringRecord(o.labels),
      details: o.details ?? {},
      durationMs: elapsed,
    };
  }
  throw new CheckError("code", `script of ${monitorId} returned ${describe(outcome)}; expected a boolean, a number or { ok, value?, message? }`);
}

function stringRecord(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[k] = String(v);
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object without a boolean ok" : typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}
