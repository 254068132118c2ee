import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult, ScriptOutcome } from "../../../sdk/result.js";
import { CheckError, errorExcerpt } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { deadline } from "../shared/deadline.js";
import { durationMs } from "../../../sdk/duration.js";
import { jsonDetails } from "./json-details.js";

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
    const message: unknown = o.message;
    if (message !== undefined && typeof message !== "string") {
      throw new CheckError("code", `script of ${monitorId} returned a message that is ${describe(message)}; expected a string`);
    }
    return {
      ok: o.ok,
      value,
      message: message ?? (o.ok ? "script passed" : "script failed"),
      labels: stringRecord(o.labels, monitorId),
      details: jsonDetails(o.details),
      durationMs: elapsed,
    };
  }
  throw new CheckError("code", `script of ${monitorId} returned ${describeOutcome(outcome)}; expected a boolean, a number or { ok, value?, message? }`);
}

/**
 * Labels name an alert per series: an object of text, or nothing. Numbers and booleans are written
 * out, an undefined value is left out; anything else is the script's mistake, named.
 */
function stringRecord(labels: unknown, monitorId: string): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== "object" || Array.isArray(labels)) {
    throw new CheckError("code", `script of ${monitorId} returned labels that are ${describe(labels)}; expected an object of strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined) continue; // as JSON drops it: a label read from an unset variable
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new CheckError("code", `script of ${monitorId} returned label ${errorExcerpt(k, 60)} that is ${describe(v)}; expected a string`);
    }
    out[k] = String(v);
  }
  return out;
}

function describeOutcome(value: unknown): string {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? "an object without a boolean ok" : describe(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}
