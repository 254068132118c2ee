import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { CheckError } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { checkDeadline } from "../shared/deadline.js";
import { redactUrl, resolveHeaders, sendRequest } from "../shared/http-request.js";
import { scrubResult, trackSecrets } from "../shared/secret-scrub.js";
import { parseQueryResponse, type Sample } from "./query-response.js";

/**
 * PromQL instant query evaluated at the tick's time. One result per returned series, labels
 * carried (minus `__name__`), value = the sample. Every series is `ok: true`: whether it alerts is
 * the monitor's threshold or condition. An empty vector means "nothing matches" (no results, so
 * any open series alerts resolve), as in Prometheus alerting rules. A server that is down, answers
 * an error or garbage throws a classified error.
 */
export async function runPrometheusCheck(spec: CheckSpecOf<"prometheus">, ctx: CheckContext): Promise<CheckResult[]> {
  const secrets = trackSecrets(ctx.secret);
  const headers = resolveHeaders(spec.headers, secrets.secret);
  const endpoint = `${spec.server.replace(/\/+$/, "")}/api/v1/query`;
  const where = redactUrl(endpoint);
  const limit = checkDeadline(ctx, durationMs(spec.timeout), `Prometheus query at ${where}`);
  // POST keeps long queries out of URL length limits; `time` pins evaluation to the tick.
  const form = new URLSearchParams({ query: spec.query, time: (ctx.now.getTime() / 1000).toFixed(3) });
  const started = performance.now();
  try {
    const res = await sendRequest(
      {
        url: endpoint,
        method: "POST",
        headers,
        protocolHeaders: FORM_HEADERS,
        body: form.toString(),
        followRedirects: true,
        signal: limit.stop,
        dispatcher: ctx.dispatcher,
      },
      true,
    );
    const elapsed = Math.round((performance.now() - started) * 10) / 10;
    if (res.truncated) throw new CheckError("bad-response", `${where} returned more than the body limit; narrow the query`);
    const { samples, warnings } = parseQueryResponse(res.status, res.body ?? "", where);
    return samples.map((sample) => scrubResult(toResult(sample, spec.query, warnings, elapsed), secrets.values()));
  } finally {
    limit.dispose();
  }
}

/** What the query request says about itself; unlike the monitor's headers, it follows a redirect anywhere. */
const FORM_HEADERS: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };

function toResult(sample: Sample, query: string, warnings: string[], elapsed: number): CheckResult {
  const series = formatSeries(sample);
  return {
    ok: true,
    value: sample.value,
    message: `${series} = ${sample.raw}`,
    labels: sample.labels,
    details: { query, ...(sample.metric ? { metric: sample.metric } : {}), ...(warnings.length > 0 ? { warnings } : {}) },
    durationMs: elapsed,
  };
}

function formatSeries(sample: Sample): string {
  const labels = Object.entries(sample.labels).map(([k, v]) => `${k}="${v}"`).join(", ");
  return `${sample.metric ?? ""}{${labels}}`;
}
