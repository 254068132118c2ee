import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { durationMs } from "../../../sdk/duration.js";
import { thresholdHolds } from "../../../sdk/threshold.js";
import { formatMs } from "../shared/deadline.js";
import { BODY_LIMIT_BYTES, type HttpResponse } from "../shared/http-request.js";
import { asNumber, jsonPreview, parseJson, readPath } from "../shared/json-path.js";
import { redactThenShorten } from "../../text/redact.js";
import type { CertificateInfo } from "./tls-expiry.js";
import { keyMinimumOf, weakKeyFailure } from "./tls-key.js";

type Expect = CheckSpecOf<"http">["expect"];

/** Longest echo of a response value in a failure line. */
export const ECHO_MAX = 80;
/** Characters of a JSON value written out before the echo is cut: room to redact a secret that crosses ECHO_MAX. */
const ECHO_PREVIEW = 4 * ECHO_MAX;

/**
 * What the response was judged against; each broken expectation is one readable line. `secrets`
 * are the values the request carried: a target may echo them, and a value must be redacted
 * before it is shortened or its head survives the cut.
 */
export function unmetExpectations(
  expect: Expect,
  res: HttpResponse,
  latencyMs: number,
  cert: CertificateInfo | null,
  now: Date,
  secrets: readonly string[] = [],
): string[] {
  const clip = (text: string): string => redactThenShorten(text, ECHO_MAX, secrets);
  const failures: string[] = [];
  const statusOk = expect.status.length === 0 ? res.status >= 200 && res.status < 300 : expect.status.includes(res.status);
  if (!statusOk) {
    const wanted = expect.status.length === 0 ? "2xx" : expect.status.join(" or ");
    failures.push(`expected status ${wanted}, got ${res.status}`);
  }
  if (expect.maxLatency !== null) {
    const max = durationMs(expect.maxLatency);
    if (latencyMs > max) failures.push(`latency ${Math.round(latencyMs)}ms is over ${formatMs(max)}`);
  }
  for (const [name, wanted] of Object.entries(expect.headers)) {
    // Contains, case-insensitive: `content-type: application/json` matches `application/json; charset=utf-8`.
    const actual = res.headers[name.toLowerCase()];
    if (actual === undefined) failures.push(`header ${name} is missing`);
    else if (!actual.toLowerCase().includes(wanted.toLowerCase())) failures.push(`header ${name} is "${clip(actual)}", expected it to contain "${wanted}"`);
  }
  if (expect.bodyContains !== null && res.body !== null && !res.body.includes(expect.bodyContains)) {
    const scope = res.truncated ? ` (searched the first ${BODY_LIMIT_BYTES / 1024 / 1024} MiB)` : "";
    failures.push(`body does not contain "${expect.bodyContains}"${scope}`);
  }
  if (expect.json.length > 0 && res.body !== null) failures.push(...jsonFailures(expect.json, res, clip));
  if (expect.tlsExpiryWithin !== null && cert !== null) {
    const within = durationMs(expect.tlsExpiryWithin);
    // Clients fail once any certificate of the chain has expired: the first expiry is the one to warn of.
    const first = cert.chainFirst ?? cert;
    const which = cert.chainFirst === undefined ? "TLS certificate" : `TLS certificate ${JSON.stringify(clip(cert.chainFirst.subject))} in the chain`;
    const left = first.validTo.getTime() - now.getTime();
    if (left <= 0) failures.push(`${which} expired on ${first.validTo.toISOString()}`);
    else if (left < within) failures.push(`${which} expires on ${first.validTo.toISOString()}, within ${formatMs(within)}`);
  }
  const keyMinimum = keyMinimumOf(expect);
  if (keyMinimum !== null && cert?.key) {
    const weak = weakKeyFailure(cert.key, keyMinimum);
    if (weak !== null) failures.push(weak);
  }
  return failures;
}

function jsonFailures(assertions: Expect["json"], res: HttpResponse, clip: (text: string) => string): string[] {
  if (res.truncated) return [`body is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB; JSON assertions not evaluated`];
  const parsed = parseJson(res.body ?? "");
  if (!parsed.ok) return ["body is not JSON"];
  const failures: string[] = [];
  for (const assertion of assertions) {
    const { found, value } = readPath(parsed.value, assertion.path);
    if (assertion.exists === false) {
      if (found) failures.push(`JSON ${assertion.path} exists, expected it absent`);
      continue;
    }
    if (!found) {
      failures.push(`JSON ${assertion.path} is missing`);
      continue;
    }
    if (assertion.equals !== undefined && value !== assertion.equals) {
      failures.push(`JSON ${assertion.path} is ${clip(jsonPreview(value, ECHO_PREVIEW))}, expected ${JSON.stringify(assertion.equals)}`);
    }
    if (assertion.threshold !== undefined) {
      const n = asNumber(value);
      const t = assertion.threshold;
      if (n === null) failures.push(`JSON ${assertion.path} is not a number`);
      else if (!thresholdHolds(n, t)) failures.push(`JSON ${assertion.path} is ${n}, expected ${t.op} ${t.value}`);
    }
  }
  return failures;
}
