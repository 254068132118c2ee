import { basicToken } from "../text/basic-auth.js";
import { request } from "../undici.js";
import { parseRetryAfter } from "./backoff.js";
import { truncate } from "./redact.js";
import type { DeliveryFailure, SendResult } from "./types.js";

/** One HTTP request a notifier wants made. */
export interface HttpCall {
  method: "GET" | "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  /** The request body; a GET (a vendor lookup) has none. */
  body?: string;
}

/** Headers every notifier request carries; a notifier's own headers come after and win. */
export const DEFAULT_HEADERS: Readonly<Record<string, string>> = { "content-type": "application/json", "user-agent": "watchkeeper" };

/**
 * The most of a vendor's answer that is read. Answers worth reading (an error, an incident id) are
 * a few kilobytes; past this the connection is closed, so an answer that never ends cannot fill
 * the runtime's memory.
 */
export const ANSWER_LIMIT_BYTES = 64 * 1024;

/** An HTTP answer, for notifiers that classify beyond the defaults. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Whether a 2xx body is a page (HTML or XML markup) rather than a JSON API's answer (PagerDuty's,
 * OpsGenie's): a sign-in page or a proxy's own page in front of the vendor answered, and the request
 * never reached it. Any other body (JSON, none, a word) is taken at its status, as it always was.
 */
export function isMarkupPage(body: string): boolean {
  return body.trimStart().startsWith("<");
}

/**
 * Makes the call and classifies the answer where it happens: 2xx ok; 408, 425, 429 and 5xx
 * retryable (Retry-After honoured); any other 4xx is the request's own fault and not retryable, and
 * so is a 3xx redirect, never followed (its reason says where it points, by origin only);
 * network errors and timeouts are retryable. Reasons never include the URL: it can hold a secret.
 */
export async function sendHttp(
  call: HttpCall,
  signal: AbortSignal,
  now: number,
  classify: (answer: HttpAnswer, now: number) => SendResult | null = () => null,
): Promise<SendResult> {
  const target = httpUrl(call.url);
  if (!target) return { ok: false, failure: { retryable: false, reason: "the destination URL is not valid: it must be an http:// or https:// URL" }, status: null, answer: "" };
  const basic = basicAuthorization(target);
  const ownAuthorization = Object.keys(call.headers).some((name) => name.toLowerCase() === "authorization");
  const headers = { ...DEFAULT_HEADERS, ...(basic !== null && !ownAuthorization ? { authorization: basic } : {}), ...call.headers };
  const badHeader = headerProblem(headers);
  if (badHeader) return { ok: false, failure: badHeader, status: null, answer: "" };
  let answer: HttpAnswer;
  try {
    const response = await request(target.href, {
      method: call.method,
      headers,
      body: call.body,
      signal,
    });
    answer = { status: response.statusCode, headers: response.headers, body: await readAnswer(response.body) };
  } catch (error) {
    return { ok: false, failure: networkFailure(error, signal), status: null, answer: "" };
  }
  return classify(answer, now) ?? classifyHttp(answer, now);
}

/** The default classification of an HTTP answer. */
export function classifyHttp(answer: HttpAnswer, now: number): SendResult {
  const { status, body } = answer;
  const text = truncate(body, 2000);
  if (status >= 200 && status < 300) return { ok: true, status, answer: text };
  // PagerDuty's REST API says when its window resets in `ratelimit-reset` (seconds), not Retry-After.
  const retryAfterMs = parseRetryAfter(answer.headers["retry-after"], now) ?? (status === 429 ? parseRetryAfter(answer.headers["ratelimit-reset"], now) : undefined);
  const detail = truncate(body.replace(/\s+/g, " ").trim(), 200);
  const reason = `HTTP ${status}${detail ? `: ${detail}` : ""}`;
  if (status === 429 || status === 408 || status === 425 || status >= 500) {
    return { ok: false, failure: { retryable: true, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, status, answer: text };
  }
  if (status >= 300 && status < 400) return { ok: false, failure: { retryable: false, reason: redirectReason(status, answer.headers["location"]) }, status, answer: text };
  return { ok: false, failure: { retryable: false, reason }, status, answer: text };
}

/**
 * Why a redirect was not followed, naming where it points by origin only: the path and query of a
 * webhook URL can hold its secret. Following it would send the body, its signature and the
 * channel's headers (an authorization) to an address the manifest never named.
 */
function redirectReason(status: number, location: string | string[] | undefined): string {
  const raw = Array.isArray(location) ? location[0] : location;
  let origin: string | null = null;
  try {
    origin = raw ? new URL(raw).origin : null;
  } catch {
    origin = null;
  }
  const to = origin && origin !== "null" ? ` to ${origin}` : raw ? " elsewhere on the same host" : "";
  return `HTTP ${status}: the receiver redirects${to}; redirects are not followed (the alert and the channel's headers would go to an address the channel does not name): set the channel's URL to the address it now uses`;
}

/**
 * Reads at most ANSWER_LIMIT_BYTES of the body, then closes it. The status is the vendor's verdict:
 * a body that breaks off or stalls until the timeout (an accepted event whose answer drips) keeps
 * what arrived, rather than turning an accepted event into a retry that sends it again.
 */
async function readAnswer(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const room = ANSWER_LIMIT_BYTES - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= ANSWER_LIMIT_BYTES) break;
    }
  } catch {
    // keep what arrived
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A header name as HTTP defines it (RFC 9110 `token`). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What undici refuses in a header value: line breaks, other control characters, anything past Latin-1. */
const HEADER_VALUE_FORBIDDEN = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Why these headers cannot be sent, or null. undici would refuse them with an error that reads
 * like a network failure and be retried for a day. A bad name comes from the manifest and never
 * gets better; a bad value may come from a secret (a token pasted with a line break, a `.env` file
 * with CRLF endings), which the operator can fix while the delivery keeps being retried. The
 * value itself is never shown: it may be a secret.
 */
export function headerProblem(headers: Record<string, string>): DeliveryFailure | null {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) return { retryable: false, reason: `header ${JSON.stringify(name.slice(0, 100))} is not a valid HTTP header name` };
    if (HEADER_VALUE_FORBIDDEN.test(value)) {
      return { retryable: true, reason: `header ${name} holds a line break, control character or character beyond Latin-1, which HTTP does not allow: fix its value (or the secret behind it)` };
    }
  }
  return null;
}

/** What is wrong with a URL held in a secret that does not parse as http(s) (`secretProblem`). */
export const NOT_AN_HTTP_URL = "is not an http:// or https:// URL";

/**
 * The failure for a URL secret (a Slack webhook, a webhook channel's URL) whose value is not an
 * http(s) URL, or null when it is one. The delivery waits for the secret to be fixed, as for one not
 * set: refused for good, the page would be lost over a value the operator can correct (a secret
 * file holding the whole `NAME=https://...` line, a URL pasted without its scheme).
 */
export function urlSecretFailure(name: string, value: string): DeliveryFailure | null {
  return httpUrl(value) ? null : { retryable: true, reason: `secret ${name} ${NOT_AN_HTTP_URL}`, missingSecret: name, secretProblem: NOT_AN_HTTP_URL };
}

/** The URL when it parses and is http or https, else null. */
function httpUrl(url: string): URL | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * The credentials of a URL such as `https://alerts:token@hooks.example.com/in` as HTTP Basic
 * authentication, taken out of the URL; null when it has none. undici sends only the origin and
 * the path, so they would be dropped without a word and every page answered 401; curl, browsers
 * and Go's HTTP client (what receivers are tested with) send them this way.
 */
function basicAuthorization(url: URL): string | null {
  const token = basicToken(url);
  if (token === null) return null;
  url.username = "";
  url.password = "";
  return `Basic ${token}`;
}

function networkFailure(error: unknown, signal: AbortSignal): { retryable: boolean; reason: string } {
  const code = (error as { code?: string }).code;
  const name = (error as { name?: string }).name;
  if (signal.aborted || name === "AbortError" || name === "TimeoutError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    const cause = signal.reason as { name?: string } | undefined;
    return { retryable: true, reason: cause?.name === "TimeoutError" || name === "TimeoutError" ? "timed out waiting for the vendor" : "request aborted" };
  }
  if (code === "ERR_INVALID_URL" || error instanceof TypeError && /invalid url/i.test(error.message)) {
    return { retryable: false, reason: "the destination URL is not valid" };
  }
  return { retryable: true, reason: `network error${code ? `: ${code}` : ""}` };
}
