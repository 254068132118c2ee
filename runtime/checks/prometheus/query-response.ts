import { CheckError, errorExcerpt } from "../check-error.js";

/**
 * Series one query may return. Each series is an alert of its own, with a row per tick in the
 * store and, when it fires, a page: a query that returns thousands of series (a selector that
 * forgot its filter, `up` over a fleet) is a mistake, and paging once per series would bury the
 * one alert that matters. Past this the check errors instead, as a Prometheus alerting rule fails
 * when it exceeds its group's `limit`.
 */
export const MAX_SERIES_PER_QUERY = 1_000;

/** One sample of an instant query: the series labels (without `__name__`) and its value. */
export interface Sample {
  labels: Record<string, string>;
  metric: string | null;
  /**
   * The sample as Go's float64: NaN and ±Inf included, because PromQL compares them with IEEE
   * semantics (NaN > 5 is false, +Inf > 5 true) and a threshold must give the same verdict.
   */
  value: number;
  raw: string;
}

/**
 * Reads a Prometheus `/api/v1/query` response body. Vectors give one sample per series, a scalar
 * one unlabelled sample; error responses, other result types and anything not in the API's shape
 * are classified errors that say what came back.
 */
export function parseQueryResponse(status: number, text: string, where: string): { samples: Sample[]; warnings: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CheckError("bad-response", `${where} answered ${status} with a body that is not JSON`);
  }
  if (!isRecord(body) || typeof body.status !== "string") {
    throw new CheckError("bad-response", `${where} answered ${status} with JSON that is not a Prometheus API response`);
  }
  if (body.status === "error") {
    const type = typeof body.errorType === "string" ? body.errorType : "error";
    const message = typeof body.error === "string" ? body.error : "no message";
    throw new CheckError("bad-response", `Prometheus rejected the query (${type}): ${errorExcerpt(message)}`);
  }
  const data = body.data;
  if (status < 200 || status >= 300 || body.status !== "success" || !isRecord(data)) {
    throw new CheckError("bad-response", `${where} answered ${status} without a successful query result`);
  }
  const warnings = Array.isArray(body.warnings) ? keptWarnings(body.warnings) : [];
  switch (data.resultType) {
    case "vector":
      if (!Array.isArray(data.result)) break;
      if (data.result.length > MAX_SERIES_PER_QUERY) throw tooManySeries(data.result.length);
      return { samples: data.result.map((series) => vectorSample(series, where)), warnings };
    case "scalar":
      return { samples: [{ labels: {}, metric: null, ...sampleValue(data.result, where) }], warnings };
    case "matrix":
      throw new CheckError("bad-response", "the query returns a range vector; an alerting query needs an instant vector (drop the [range] or wrap it in a function)");
    case "string":
      throw new CheckError("bad-response", "the query returns a string; an alerting query needs an instant vector or a scalar");
  }
  throw new CheckError("bad-response", `${where} returned a result of unknown type ${String(data.resultType)}`);
}

/** Warnings of one answer kept in the check's details, and the characters kept of each. */
export const MAX_WARNINGS = 5;
const WARNING_MAX_CHARS = 300;

/**
 * The first few warnings, each shortened, and a count of the rest. Every series' result carries
 * them, and results are stored and paged: an answer with thousands of long warnings (a proxy, a
 * broken server) copied into each of 1,000 series was gigabytes and seconds of a stalled runtime.
 */
function keptWarnings(raw: unknown[]): string[] {
  const kept = raw.slice(0, MAX_WARNINGS).map((w) => (typeof w === "string" ? errorExcerpt(w, WARNING_MAX_CHARS) : `(a warning that is not text: ${typeof w})`));
  if (raw.length > MAX_WARNINGS) kept.push(`… ${raw.length - MAX_WARNINGS} more warnings`);
  return kept;
}

function tooManySeries(count: number): CheckError {
  return new CheckError(
    "bad-response",
    `the query returned ${count} series; a check turns at most ${MAX_SERIES_PER_QUERY} into alerts. ` +
      'Narrow the query with a label selector or an aggregation (`sum by (service) (…)`, `topk(10, …)`)',
  );
}

function vectorSample(series: unknown, where: string): Sample {
  if (!isRecord(series) || !isRecord(series.metric)) throw new CheckError("bad-response", `${where} returned a malformed series`);
  const labels: Record<string, string> = {};
  let metric: string | null = null;
  for (const [name, value] of Object.entries(series.metric)) {
    // The API's label values are strings; anything else is not Prometheus (and String() of a deep
    // array recurses until the stack runs out).
    if (typeof value !== "string") throw new CheckError("bad-response", `${where} returned a series whose label ${errorExcerpt(name, 60)} is not a string`);
    if (name === "__name__") metric = value;
    else labels[name] = value;
  }
  return { labels, metric, ...sampleValue(series.value, where) };
}

function sampleValue(pair: unknown, where: string): { value: number; raw: string } {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") {
    throw new CheckError("bad-response", `${where} returned a malformed sample`);
  }
  const value = parseSampleValue(pair[1]);
  if (value === undefined) throw new CheckError("bad-response", `${where} returned a sample value that is not a number: ${pair[1].slice(0, 40)}`);
  return { value, raw: pair[1] };
}

/**
 * A sample value as the API writes it (Go's strconv.FormatFloat: "NaN", "+Inf", "-Inf" or a
 * decimal). JavaScript's Number() reads "+Inf" as NaN, so the specials are spelled out here.
 */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case "NaN":
      return NaN;
    case "+Inf":
    case "Inf":
      return Infinity;
    case "-Inf":
      return -Infinity;
  }
  const n = Number(text);
  return text.trim() === "" || !Number.isFinite(n) ? undefined : n;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
