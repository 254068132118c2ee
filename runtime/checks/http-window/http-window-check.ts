import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult, TimeWindow } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { CheckError, errorExcerpt } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { deadline } from "../shared/deadline.js";
import { redactUrl, resolveHeaders, sendRequest } from "../shared/http-request.js";
import { asNumber, parseJson, readPath } from "../shared/json-path.js";
import { scrubResult, trackSecrets } from "../shared/secret-scrub.js";
import { fillTemplate, windowAt } from "./window.js";

/**
 * HTTP poll over a sliding window ending at the tick's time. value = the number extracted from
 * the response (by dotted path, or by the monitor's `extract` function); ok = the request got a
 * 2xx and a number came out. Whether that number is alarming is the monitor's threshold or
 * condition, applied by the evaluator. Unreachable targets and timeouts throw classified errors.
 */
export async function runHttpWindowCheck(spec: CheckSpecOf<"httpWindow">, ctx: CheckContext): Promise<CheckResult[]> {
  const extractFn = ctx.code?.extract;
  if (spec.extract === null && typeof extractFn !== "function") {
    throw new CheckError("config", `monitors.mjs has no extract export for monitor ${ctx.monitorId}`);
  }
  const secrets = trackSecrets(ctx.secret);
  const headers = resolveHeaders(spec.headers, secrets.secret);
  const window = windowAt(ctx.now, spec.window);
  const url = fillTemplate(spec.url, window, spec.timeFormat, true);
  const body = spec.body === null ? null : fillTemplate(spec.body, window, spec.timeFormat, false);
  const where = redactUrl(url);
  const limit = deadline(ctx.signal, durationMs(spec.timeout), `${spec.method} ${where}`);
  const stopwatch = ctx.stopwatch ?? (() => performance.now());
  const started = stopwatch();
  try {
    const res = await sendRequest({ url, method: spec.method, headers, body, followRedirects: true, signal: limit.signal, dispatcher: ctx.dispatcher }, true);
    const elapsed = Math.round((stopwatch() - started) * 10) / 10;
    const details: Record<string, unknown> = {
      url: where,
      status: res.status,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      latencyMs: elapsed,
    };
    const result = (ok: boolean, value: number | null, message: string): CheckResult[] => [
      scrubResult({ ok, value, message, labels: {}, details: { ...details, extracted: value }, durationMs: elapsed }, secrets.values()),
    ];
    if (res.status < 200 || res.status >= 300) return result(false, null, `${where} answered ${res.status}`);
    if (res.truncated) return result(false, null, `response from ${where} is larger than the body limit; nothing extracted`);
    const parsed = parseJson(res.body ?? "");
    if (!parsed.ok) return result(false, null, `response from ${where} is not JSON`);
    const value = spec.extract !== null ? byPath(parsed.value, spec.extract) : await byCode(extractFn!, parsed.value, window, ctx.monitorId);
    if (value === null) {
      const how = spec.extract !== null ? `at ${spec.extract}` : "from the extract function";
      return result(false, null, `no number ${how} in the response for ${window.from.toISOString()}..${window.to.toISOString()}`);
    }
    return result(true, value, `${value} for ${window.from.toISOString()}..${window.to.toISOString()}`);
  } finally {
    limit.dispose();
  }
}

function byPath(body: unknown, path: string): number | null {
  const { found, value } = readPath(body, path);
  return found ? asNumber(value) : null;
}

/** The monitor's extract function; in the runtime it runs in the code worker and answers asynchronously. */
async function byCode(extract: (body: unknown, window: TimeWindow) => number | null | Promise<number | null>, body: unknown, window: TimeWindow, monitorId: string): Promise<number | null> {
  try {
    return asNumber(await extract(body, window));
  } catch (error) {
    if (error instanceof CheckError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new CheckError("code", `extract of ${monitorId} threw: ${errorExcerpt(text)}`);
  }
}
