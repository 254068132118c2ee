import type { Dispatcher } from "undici";
import { getGlobalDispatcher } from "../../undici.js";
import type { SecretRefSpec } from "../../../sdk/manifest/schema.js";
import { CheckError, errorExcerpt, missingSecret } from "../check-error.js";
import { whenStopped, type StopSource } from "./check-stop.js";
import { redactUrl } from "../../redact-url.js";
import { hopHeaders, isRedirect, nextHop, type Hop } from "./redirect.js";

export { MAX_REDIRECTS } from "./redirect.js";
/** Response bodies are read up to this size; a larger body is cut off and reported as such. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpRequest {
  url: string;
  /** `url` split already (a check that sends the same request every tick does it once: see requestTarget). */
  target?: RequestTarget;
  method: string;
  /** The monitor's own headers: sent to its target, and never on to another origin a redirect leads to. */
  headers: Record<string, string>;
  /** Headers the runtime adds for the protocol (content type, accept): they follow every redirect. */
  protocolHeaders?: Record<string, string>;
  body: string | null;
  /** Follow redirects (at most MAX_REDIRECTS) and judge where they lead, instead of the redirect itself. */
  followRedirects: boolean;
  /** Stops the request: the check's deadline signal, or runCheck's stop hook (check-stop.ts). */
  signal: StopSource;
  dispatcher?: Dispatcher;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text, or null when it was not asked for (discarded without buffering). */
  body: string | null;
  /** True when the body was longer than BODY_LIMIT_BYTES and was cut off. */
  truncated: boolean;
}

/** Resolves header values that reference secrets; a missing secret is an error naming it. */
export function resolveHeaders(
  headers: Record<string, string | SecretRefSpec>,
  secret: (name: string) => string | undefined,
): Record<string, string> {
  // Plain headers (the usual case) are sent as they are: undici only reads them.
  if (plainHeaders.has(headers)) return headers as Record<string, string>;
  const out: Record<string, string> = {};
  let plain = true;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") {
      out[name] = value;
      continue;
    }
    plain = false;
    const resolved = secret(value.secret);
    if (resolved === undefined) throw missingSecret(value.secret);
    out[name] = resolved;
  }
  if (plain) plainHeaders.add(headers);
  return out;
}

/** Header objects of specs known to hold no secret reference. */
const plainHeaders = new WeakSet<object>();

/** Bytes of an unread body drained to keep the connection; past this the connection is closed instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024;

/**
 * Sends one request and reads at most BODY_LIMIT_BYTES of the body when `readBody` is set.
 * Dispatched straight to the pool with a handler that collects the answer: no response stream, no
 * async resource and no abort listener of undici's own per request (together a fifth of a check's
 * CPU). A stop (timeout, shutdown) rejects with its own classified reason.
 */
export function sendRequest(req: HttpRequest, readBody: boolean): Promise<HttpResponse> {
  let target: RequestTarget;
  try {
    target = req.target ?? requestTarget(parseUrl(req.url));
  } catch (error) {
    return Promise.reject(error instanceof CheckError ? error : classifyHttpError(error, redactUrl(req.url)));
  }
  const dispatcher = req.dispatcher ?? getGlobalDispatcher();
  const hop: Hop = {
    origin: target.origin,
    path: target.path,
    method: req.method as Dispatcher.HttpMethod,
    headers: req.headers,
    protocolHeaders: req.protocolHeaders ?? null,
    body: req.body,
    redirects: 0,
  };
  return new Promise<HttpResponse>((resolve, reject) => {
    const exchange = new Exchange(readBody, dispatcher, req.followRedirects ? req.url : null, resolve, (error) => reject(classifyHttpError(error, redactUrl(req.url))));
    exchange.release = whenStopped(req.signal, (reason) => exchange.cancel(reason));
    if (exchange.isSettled) return; // stopped already
    exchange.send(hop);
  });
}

/**
 * One request's answer, collected as undici's parser hands it over. It settles once: at the end of
 * the body, at the body cap, or at the first error. An error after the headers of an answer whose
 * body is not read still settles with the status, as draining the body never failed a check.
 * When following redirects, a redirect's body is skipped and its end sends the next request
 * through this same exchange (redirect.ts decides what that request is).
 */
class Exchange implements Dispatcher.DispatchHandler {
  release: () => void = noop;
  private abort: ((reason?: Error) => void) | null = null;
  private cancelled: CheckError | null = null;
  private settled = false;
  private status = 0;
  private rawHeaders: Buffer[] | null = null;
  private chunks: Buffer[] | null = null;
  private size = 0;
  /** The request in flight, and the one its redirect leads to (set from the redirect's headers to its end). */
  private hop: Hop | null = null;
  private next: Hop | null = null;

  constructor(
    private readonly readBody: boolean,
    private readonly dispatcher: Dispatcher,
    /** The check's URL when redirects are followed (named, redacted, when one cannot be), else null. */
    private readonly followFrom: string | null,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  get isSettled(): boolean {
    return this.settled;
  }

  send(hop: Hop): void {
    this.hop = hop;
    this.abort = null;
    const { origin, path, method, body } = hop;
    this.dispatcher.dispatch({ origin, path, method, headers: hopHeaders(hop), body: body ?? undefined }, this);
  }

  cancel(reason: CheckError): void {
    if (this.settled) return;
    this.cancelled = reason;
    if (this.abort) this.abort(reason);
    else this.onError(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) abort(CLOSED);
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    if (this.followFrom !== null && this.hop !== null && isRedirect(statusCode)) {
      const location = headerValue(rawHeaders, "location");
      if (location !== undefined) {
        try {
          this.next = nextHop(this.hop, statusCode, location, this.followFrom);
          return true;
        } catch (error) {
          this.fail(error);
          return false;
        }
      }
    }
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    if (this.readBody) this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    if (this.next !== null) return true; // a redirect's body: skipped, as browsers and undici do
    const room = (this.readBody ? BODY_LIMIT_BYTES : DISCARD_LIMIT_BYTES) - this.size;
    if (chunk.length <= room) {
      this.size += chunk.length;
      this.chunks?.push(chunk);
      return true;
    }
    // Over the cap: keep what fits, settle, and close the connection rather than read on.
    this.chunks?.push(chunk.subarray(0, room));
    this.settle(this.readBody);
    this.abort?.(CLOSED);
    return false;
  }

  onComplete(): void {
    const next = this.next;
    if (next === null || this.settled) {
      this.settle(false);
      return;
    }
    this.next = null;
    try {
      this.send(next);
    } catch (error) {
      this.onError(error);
    }
  }

  onError(error: unknown): void {
    if (this.settled) return;
    if (this.rawHeaders !== null && !this.readBody) {
      this.settle(false);
      return;
    }
    this.settled = true;
    this.release();
    this.reject(this.cancelled ?? error);
  }

  /** Settles with an error of its own and closes the connection rather than read on. */
  private fail(error: unknown): void {
    this.settled = true;
    this.release();
    this.reject(error);
    this.abort?.(CLOSED);
  }

  private settle(truncated: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.release();
    const body = this.chunks === null ? null : (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)).toString("utf8");
    this.resolve(new CollectedResponse(this.status, this.rawHeaders ?? [], body, truncated));
  }
}

/** The answer; its headers are decoded only when something reads them (most checks never do). */
class CollectedResponse implements HttpResponse {
  private decoded: Record<string, string> | null = null;

  constructor(
    readonly status: number,
    private readonly rawHeaders: Buffer[],
    readonly body: string | null,
    readonly truncated: boolean,
  ) {}

  get headers(): Record<string, string> {
    if (this.decoded === null) this.decoded = decodeHeaders(this.rawHeaders);
    return this.decoded;
  }
}

/** Raw header pairs as one lower-case name per header, repeated headers joined with ", ". */
function decodeHeaders(raw: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    const value = raw[i + 1]!.toString("latin1");
    const prior = out[name];
    out[name] = prior === undefined ? value : `${prior}, ${value}`;
  }
  return out;
}

/** The first value of a raw header (name in any case), decoded as undici decodes header values. */
function headerValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toString("latin1").toLowerCase() === name) return raw[i + 1]!.toString("latin1");
  }
  return undefined;
}

/** Reason a connection is closed with once the answer was taken (never reaches a caller). */
const CLOSED = new Error("response taken");
const noop = (): void => undefined;

/** Where a request goes, as undici's dispatch takes it. */
export interface RequestTarget {
  origin: string;
  path: string;
}

/**
 * An http(s) URL as origin and path. Kept per monitor instead of a URL object: the strings are all a
 * request needs, and a URL (with its internal context) costs three times their memory.
 */
export function requestTarget(url: URL, text?: string): RequestTarget {
  const origin = url.origin;
  const path = `${url.pathname}${url.search}`;
  // Parts of the monitor's own URL text when it reads exactly so: no second copy of its characters.
  if (text !== undefined && text.length === origin.length + path.length && text.startsWith(origin) && text.endsWith(path)) {
    return { origin: text.slice(0, origin.length), path: text.slice(origin.length) };
  }
  return { origin, path };
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("unsupported protocol");
    return url;
  } catch {
    throw new CheckError("config", `invalid URL ${redactUrl(text)}`);
  }
}

/** Drops credentials from a URL before it goes into a message; one helper for checks, views and logs. */
export { redactUrl };

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** Turns what undici/node throw into a classified, secret-free CheckError (a stop's reason is one already). */
export function classifyHttpError(error: unknown, where: string): CheckError {
  if (error instanceof CheckError) return error;
  if (error instanceof Error && error.name === "HTTPParserError") {
    return new CheckError("bad-response", `${where} did not answer with valid HTTP`);
  }
  const code = errorCode(error);
  if (code && TLS_CODES.has(code)) return new CheckError("tls", `TLS failure at ${where}: ${code}`);
  switch (code) {
    case "ECONNREFUSED":
      return new CheckError("unreachable", `connection refused by ${where}`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CheckError("unreachable", `host of ${where} does not resolve (${code})`);
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return new CheckError("unreachable", `connection to ${where} was closed before a full response (${code})`);
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new CheckError("unreachable", `${where} is unreachable (${code})`);
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new CheckError("timeout", `${where} timed out (${code})`);
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_STATUS":
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_CR_EXPECTED":
    case "HPE_LF_EXPECTED":
      return new CheckError("bad-response", `${where} did not answer with valid HTTP (${code})`);
    default:
      return new CheckError("unreachable", `request to ${where} failed (${code ?? shortMessage(error)})`);
  }
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function shortMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return errorExcerpt(text, 200);
}
