import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { CheckError } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { checkDeadline } from "../shared/deadline.js";
import { redactUrl, requestTarget, resolveHeaders, sendRequest, type RequestTarget } from "../shared/http-request.js";
import { scrubResult, trackSecrets } from "../shared/secret-scrub.js";
import { unmetExpectations } from "./expectations.js";
import { certificateOf, readPeerCertificate, type CertificateInfo } from "./tls-expiry.js";
import { keyMinimumOf, keyWords } from "./tls-key.js";

/**
 * HTTP check: one request, judged on status, latency, headers, body, TLS expiry and key strength.
 * value = latency in ms (request sent to body read). A target that cannot be reached or does not
 * answer in time throws a classified CheckError; a response that breaks expectations is `ok: false`.
 */
export async function runHttpCheck(spec: CheckSpecOf<"http">, ctx: CheckContext): Promise<CheckResult[]> {
  const secrets = trackSecrets(ctx.secret);
  const headers = resolveHeaders(spec.headers, secrets.secret);
  const { where, timeoutMs, target } = preparedOf(spec);
  const limit = checkDeadline(ctx, timeoutMs, `${spec.method} ${where}`);
  const wantsTls = spec.expect.tlsExpiryWithin !== null || keyMinimumOf(spec.expect) !== null;
  if (wantsTls && !spec.url.startsWith("https:")) {
    limit.dispose();
    const field = spec.expect.tlsExpiryWithin !== null ? "tlsExpiryWithin" : "tlsMinKey";
    throw new CheckError("config", `${field} needs an https URL, got ${where}`);
  }
  const judgesBody = spec.expect.json.length > 0 || spec.expect.bodyContains !== null;
  if (judgesBody && spec.method === "HEAD") {
    // A HEAD answer has no body: its expectations would pass without anything being read.
    limit.dispose();
    const field = spec.expect.bodyContains !== null ? "bodyContains" : "json";
    throw new CheckError("config", `${field} needs a response body, and a HEAD request gets none; use GET`);
  }
  const readBody = judgesBody;
  const stopwatch = ctx.stopwatch ?? (() => performance.now());
  // The certificate judged is the one of the connection the request went over: a second connection
  // could reach another server (round-robin DNS) or an interceptor on that connection alone.
  let seen: CertificateInfo | null = null;
  const onConnection = wantsTls && !ctx.peerCertificate ? (socket: Socket) => void (seen = certificateOf(socket)) : undefined;
  const started = stopwatch();
  try {
    const res = await sendRequest(
      {
        url: spec.url,
        ...(target ? { target } : {}),
        method: spec.method,
        headers,
        body: spec.body,
        followRedirects: spec.followRedirects,
        signal: limit.stop,
        dispatcher: ctx.dispatcher,
        ...(onConnection ? { onConnection } : {}),
      },
      readBody,
    );
    const latencyMs = stopwatch() - started;
    const cert: CertificateInfo | null = wantsTls ? (seen ?? (await (ctx.peerCertificate ?? readPeerCertificate)(new URL(spec.url), limit.signal))) : null;
    const failures = unmetExpectations(spec.expect, res, latencyMs, cert, ctx.now, secrets.values());
    const rounded = Math.round(latencyMs * 10) / 10;
    return [
      scrubResult({
        ok: failures.length === 0,
        value: rounded,
        message: failures.length === 0 ? `${res.status} in ${Math.round(latencyMs)}ms` : failures.join("; "),
        labels: {},
        details: {
          url: where,
          method: spec.method,
          status: res.status,
          latencyMs: rounded,
          ...(cert ? { certificateExpiresAt: cert.validTo.toISOString(), certificateSubject: cert.subject } : {}),
          ...(cert?.chainFirst ? { chainExpiresAt: cert.chainFirst.validTo.toISOString(), chainExpiresFirst: cert.chainFirst.subject } : {}),
          ...(cert?.key ? { certificateKey: keyWords(cert.key) } : {}),
          ...(res.truncated ? { bodyTruncated: true } : {}),
          ...(failures.length > 0 ? { failures } : {}),
        },
        durationMs: rounded,
      }, secrets.values()),
    ];
  } finally {
    limit.dispose();
  }
}

/** What a check derives from its spec alone, once per spec rather than once per request. */
interface Prepared {
  where: string;
  timeoutMs: number;
  /** Null unless an http(s) URL: sendRequest then parses and refuses it as a config error, every time. */
  target: RequestTarget | null;
}

// Specs live as long as the manifest: weakly keyed, a new manifest's specs start afresh.
const prepared = new WeakMap<CheckSpecOf<"http">, Prepared>();

function httpTarget(text: string): RequestTarget | null {
  const url = URL.canParse(text) ? new URL(text) : null;
  return url && (url.protocol === "http:" || url.protocol === "https:") ? requestTarget(url, text) : null;
}

function preparedOf(spec: CheckSpecOf<"http">): Prepared {
  let p = prepared.get(spec);
  if (!p) {
    p = { where: redactUrl(spec.url), timeoutMs: durationMs(spec.timeout), target: httpTarget(spec.url) };
    prepared.set(spec, p);
  }
  return p;
}
