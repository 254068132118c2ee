import { subscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import type { Dispatcher } from "undici";
import { getGlobalDispatcher } from "../../undici.js";
import type { SecretRefSpec } from "../../../sdk/manifest/schema.js";
import { CheckError, errorExcerpt, missingSecret } from "../check-error.js";
import { whenStopped, type StopSource } from "./check-stop.js";
import { redactUrl } from "../../redact-url.js";
import { hopHeaders, isRedirect, nextHop, type Hop } from "./redirect.js";
import { BodyDecodeError, contentCoding, startDecoder, type BodyDecoder, type ContentCoding } from "./body-decoder.js";

export { MAX_REDIRECTS } from "./redirect.js";
/**
 * Response bodies are read up to this size; a larger body is cut off and reported as such. A
 * compressed body is held to it twice: its bytes on the wire, and what they decode to.
 */
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
  /**
   * Called with the connection the request to `url` itself goes over (a redirect's are not), as
   * the request is written: what a check judges of the TLS peer it reads from this very
   * connection, never from another one that may reach another server.
   */
  onConnection?: (socket: Socket) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text, or null when it was not asked for (discarded without buffering). */
  body: string | null;
  /** True when the body was longer than BODY_LIMIT_BYTES (on the wire or decoded) and was cut off. */
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
    if (NOT_IN_HEADER_VALUE.test(resolved)) throw unsendableSecret(value.secret, name);
    out[name] = resolved;
  }
  if (plain) plainHeaders.add(headers);
  return out;
}

/** What an HTTP header value cannot carry (RFC 9110 section 5.5): control characters other than tab. */
const NOT_IN_HEADER_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;

/**
 * A secret that cannot go into a header, usually a token pasted with its line break (a value in
 * the environment is taken as it is). undici refuses the request, which read as "unreachable":
 * a page about the target for what is a fix to the secret.
 */
function unsendableSecret(secretName: string, header: string): CheckError {
  return new CheckError(
    "config",
    `secret ${secretName} (header ${header}) holds a line break or another control character, which an HTTP header cannot carry; set it without the trailing newline`,
  );
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
    const exchange = new Exchange(readBody, dispatcher, req.followRedirects ? req.url : null, resolve, (error) => {
      const where = redactUrl(req.url);
      reject(error instanceof CheckError && error.reason === "timeout" ? new CheckError("timeout", `${error.message} (${exchange.progress(where)})`) : classifyHttpError(error, where));
    });
    exchange.release = whenStopped(req.signal, (reason) => exchange.cancel(reason));
    if (exchange.isSettled) return; // stopped already
    if (req.onConnection) exchange.watchConnection(req.onConnection);
    exchange.send(hop);
  });
}

/**
 * One request's answer, collected as undici's parser hands it over. It settles once: at the end of
 * the body, at the body cap, or at the first error. An error after the headers of an answer whose
 * body is not read still settles with the status, as draining the body never failed a check.
 * A body that is read and sent compressed (gzip, deflate, br) is decoded as it arrives (the
 * expectations judge what a browser would show), and the cap applies to what it decodes to.
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
  /** The body's compression when it is read and decoded; its decoder is made at its first bytes. */
  private coding: ContentCoding | null = null;
  private decoder: BodyDecoder | null = null;
  /** Bytes of a compressed body taken from the wire; true once its last were handed to the decoder. */
  private wireSize = 0;
  private wireDone = false;
  /** The request in flight, and the one its redirect leads to (set from the redirect's headers to its end). */
  private hop: Hop | null = null;
  private next: Hop | null = null;
  /** Bytes of the redirect's body skipped so far; past DISCARD_LIMIT_BYTES its connection is closed and `skipped` sent. */
  private redirectBytes = 0;
  private skipped: Hop | null = null;

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

  /**
   * How far the answer had come, for a timeout's message: a target that never answers and one
   * whose body trickles in are different problems for whoever is paged.
   */
  progress(where: string): string {
    if (this.rawHeaders === null) return `no response from ${where}`;
    const bytes = this.coding !== null ? this.wireSize : this.size;
    return `${where} answered ${this.status}; its body was still arriving after ${bytes} bytes`;
  }

  send(hop: Hop): void {
    this.hop = hop;
    this.abort = null;
    this.redirectBytes = 0;
    const { origin, path, method, body } = hop;
    this.dispatcher.dispatch({ origin, path, method, headers: hopHeaders(hop), body: body ?? undefined }, this);
  }

  cancel(reason: CheckError): void {
    if (this.settled) return;
    this.cancelled = reason;
    // A body whose last bytes are with the decoder has no request left to abort.
    if (this.abort && !this.wireDone) this.abort(reason);
    else this.onError(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) return abort(CLOSED);
    this.abort = abort;
    // undici writes the request's headers right after this call, in the same turn, and says so on
    // its `sendHeaders` channel with the socket: that socket is this request's connection.
    if (this.onConnection !== null && this.hop?.redirects === 0) writing = this;
  }

  private onConnection: ((socket: Socket) => void) | null = null;

  watchConnection(onConnection: (socket: Socket) => void): void {
    watchSendHeaders();
    this.onConnection = onConnection;
  }

  /** undici is writing `request` over `socket`: when it is this exchange's own request, hands the socket on. */
  connectionOf(request: { origin?: unknown; path?: unknown; method?: unknown }, socket: Socket): void {
    const hop = this.hop;
    if (this.onConnection === null || hop === null || hop.redirects !== 0) return;
    if (request.path !== hop.path || request.method !== hop.method || !sameOrigin(String(request.origin), hop.origin)) return;
    const onConnection = this.onConnection;
    this.onConnection = null;
    onConnection(socket);
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
    if (this.readBody) {
      this.chunks = [];
      this.coding = contentCoding(headerValue(rawHeaders, "content-encoding"));
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    if (this.next !== null) return this.skip(chunk);
    if (this.coding !== null) return this.decode(chunk);
    return this.collect(chunk);
  }

  /**
   * A redirect's body is skipped, as browsers and undici do, and drained like any unread body: up
   * to DISCARD_LIMIT_BYTES, then its connection is closed and the redirect followed at once. A
   * target could otherwise send a body that never ends with its redirect and hold the check, its
   * answer never looked at, until the timeout.
   */
  private skip(chunk: Buffer): boolean {
    this.redirectBytes += chunk.length;
    if (this.redirectBytes <= DISCARD_LIMIT_BYTES) return true;
    this.skipped = this.next;
    this.next = null;
    // undici's abort reports the request's end to onError at once, which sends the next request.
    this.abort?.(CLOSED);
    if (this.skipped !== null) this.onError(CLOSED);
    return false;
  }

  /** Keeps a chunk of the body (as sent, or as decoded) up to the cap; false once the cap is reached. */
  private collect(chunk: Buffer): boolean {
    const room = (this.readBody ? BODY_LIMIT_BYTES : DISCARD_LIMIT_BYTES) - this.size;
    if (chunk.length <= room) {
      this.size += chunk.length;
      this.chunks?.push(chunk);
      return true;
    }
    // Over the cap: keep what fits, settle, and close the connection rather than read on.
    this.chunks?.push(chunk.subarray(0, room));
    this.settle(this.readBody);
    if (!this.wireDone) this.abort?.(CLOSED);
    return false;
  }

  /**
   * Hands compressed bytes to the decoder, whose output goes through `collect`. Past the cap on the
   * wire the connection is closed and what arrived is decoded: a bomb costs at most the cap in
   * bytes received and the cap in bytes decoded.
   */
  private decode(chunk: Buffer): boolean {
    this.decoder ??= startDecoder(this.coding!, chunk, {
      data: (decoded) => {
        if (!this.settled && !this.collect(decoded)) this.decoder?.stop();
      },
      end: () => this.settle(this.wireSize > BODY_LIMIT_BYTES),
      error: (error) => {
        if (!this.settled) this.fail(error);
      },
    });
    const room = BODY_LIMIT_BYTES - this.wireSize;
    this.wireSize += chunk.length;
    if (chunk.length <= room) {
      this.decoder.write(chunk);
      return true;
    }
    this.decoder.write(chunk.subarray(0, room));
    this.wireDone = true;
    this.decoder.end();
    this.abort?.(CLOSED);
    return false;
  }

  onComplete(): void {
    if (this.decoder !== null && !this.settled) {
      this.wireDone = true;
      this.decoder.end();
      return;
    }
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
    // The redirect whose body was cut off (skip): its connection is closed, the next request goes.
    const skipped = this.skipped;
    if (skipped !== null && this.cancelled === null) {
      this.skipped = null;
      try {
        this.send(skipped);
      } catch (sendError) {
        this.onError(sendError);
      }
      return;
    }
    // The connection closed after a compressed body's last bytes went to the decoder: it decides.
    if (this.wireDone && this.cancelled === null) return;
    if (this.rawHeaders !== null && !this.readBody) {
      this.settle(false);
      return;
    }
    this.finish();
    this.reject(this.cancelled ?? error);
  }

  /** Settles with an error of its own and closes the connection rather than read on. */
  private fail(error: unknown): void {
    this.finish();
    this.reject(error);
    if (!this.wireDone) this.abort?.(CLOSED);
  }

  /** Marks the exchange settled and lets go of what it held: the stop listener, the decoder. */
  private finish(): void {
    this.settled = true;
    this.release();
    this.decoder?.stop();
  }

  private settle(truncated: boolean): void {
    if (this.settled) return;
    this.finish();
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

/** The exchange whose request undici is about to write (set in onConnect, taken by the next `sendHeaders`). */
let writing: Exchange | null = null;
let watching = false;

function sameOrigin(a: string, b: string): boolean {
  return URL.canParse(a) && URL.canParse(b) && new URL(a).origin === new URL(b).origin;
}

/** Subscribes to undici's `sendHeaders` channel, once, when a request first wants its connection. */
function watchSendHeaders(): void {
  if (watching) return;
  watching = true;
  subscribe("undici:client:sendHeaders", (message) => {
    const exchange = writing;
    writing = null;
    const { request, socket } = message as { request: { origin?: unknown; path?: unknown; method?: unknown }; socket: Socket };
    exchange?.connectionOf(request, socket);
  });
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
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "HOSTNAME_MISMATCH",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
]);

/**
 * A failed handshake or a certificate that is not trusted: OpenSSL's verify results as node names
 * them (CERT_*, *_CERT_*, a key or digest too weak for the security level) and node's own TLS and
 * OpenSSL errors (a protocol version or cipher the two sides do not share, an alert the server sent).
 * Node names a verify result it has no code for `UNSPECIFIED` (see tlsProblem).
 */
function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code === "UNSPECIFIED" || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || /CERT|_KEY_TOO_SMALL$|_MD_TOO_WEAK$/.test(code);
}

/**
 * The code, and OpenSSL's words when node has no name for the problem: node reports some verify
 * results (a chain signed with SHA-1 or MD5, "CA signature digest algorithm too weak") as
 * `UNSPECIFIED`, which alone tells an on-call engineer nothing.
 */
function tlsProblem(code: string, error: unknown): string {
  if (code !== "UNSPECIFIED") return code;
  return error instanceof Error ? errorExcerpt(error.message, 200) : code;
}

/** Turns what undici/node throw into a classified, secret-free CheckError (a stop's reason is one already). */
export function classifyHttpError(error: unknown, where: string): CheckError {
  if (error instanceof CheckError) return error;
  if (error instanceof BodyDecodeError) return new CheckError("bad-response", `${where} sent a body that ${error.message}`);
  if (error instanceof Error && error.name === "HTTPParserError") {
    // llhttp finds two Content-Lengths itself when both arrive in one read; undici, when they do not.
    if (errorCode(error) === "HPE_UNEXPECTED_CONTENT_LENGTH" || /content-length/i.test(error.message)) {
      return new CheckError("bad-response", `${where} answered with a body that does not match its Content-Length`);
    }
    return new CheckError("bad-response", `${where} did not answer with valid HTTP`);
  }
  const code = errorCode(error);
  if (code && isTlsCode(code)) return new CheckError("tls", `TLS failure at ${where}: ${tlsProblem(code, error)}`);
  switch (code) {
    case "UND_ERR_INVALID_ARG":
      // undici refused to send what it was given (a header value it cannot carry): the monitor's to fix.
      return new CheckError("config", `request to ${where} could not be sent: ${shortMessage(error)}`);
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      // Two Content-Lengths, a length and chunking both, or a body of another length than declared.
      return new CheckError("bad-response", `${where} answered with a body that does not match its Content-Length`);
    case "UND_ERR_HEADERS_OVERFLOW":
      return new CheckError("bad-response", `${where} answered with response headers over the 16 KiB limit (too many or too large)`);
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
