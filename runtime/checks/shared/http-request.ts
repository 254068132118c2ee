import { getGlobalDispatcher, interceptors, request, type Dispatcher } from "undici";
import type { SecretRefSpec } from "../../../sdk/manifest/schema.js";
import { CheckError, errorExcerpt, missingSecret } from "../check-error.js";
import { abortReason } from "./deadline.js";
import { redactUrl } from "../../redact-url.js";

/** Redirects followed at most, like curl's default of 50 is far too many for a health check. */
export const MAX_REDIRECTS = 10;
/** Response bodies are read up to this size; a larger body is cut off and reported as such. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpRequest {
  url: string;
  /** `url` parsed already (a check that sends the same request every tick parses it once). */
  parsedUrl?: URL;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  followRedirects: boolean;
  signal: AbortSignal;
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
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") {
      out[name] = value;
      continue;
    }
    const resolved = secret(value.secret);
    if (resolved === undefined) throw missingSecret(value.secret);
    out[name] = resolved;
  }
  return out;
}

/** Sends one request and reads at most BODY_LIMIT_BYTES of the body when `readBody` is set. */
export async function sendRequest(req: HttpRequest, readBody: boolean): Promise<HttpResponse> {
  const url = req.parsedUrl ?? parseUrl(req.url);
  const base = req.dispatcher ?? getGlobalDispatcher();
  const dispatcher = req.followRedirects ? redirecting(base) : base;
  try {
    const res = await request(url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body ?? undefined,
      signal: req.signal,
      dispatcher,
    });
    const headers = flattenHeaders(res.headers);
    if (!readBody) {
      // Discard without buffering: a check that only looks at status must not pay for a huge body.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return { status: res.statusCode, headers, body: null, truncated: false };
    }
    const { text, truncated } = await readCapped(res.body, BODY_LIMIT_BYTES);
    return { status: res.statusCode, headers, body: text, truncated };
  } catch (error) {
    throw classifyHttpError(error, req.signal, redactUrl(req.url));
  }
}

// One redirect-following wrapper per pool, instead of composing a new one on every request.
const redirectingPools = new WeakMap<Dispatcher, Dispatcher>();

function redirecting(base: Dispatcher): Dispatcher {
  let composed = redirectingPools.get(base);
  if (!composed) {
    composed = base.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
    redirectingPools.set(base, composed);
  }
  return composed;
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = limit - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // Leaving the loop early closes the stream; destroy makes sure the socket is not kept reading.
  if (truncated) body.destroy();
  return { text: Buffer.concat(chunks).toString("utf8"), truncated };
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

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
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

/** Turns what undici/node throw into a classified, secret-free CheckError. */
export function classifyHttpError(error: unknown, signal: AbortSignal, where: string): CheckError {
  if (error instanceof CheckError) return error;
  if (signal.aborted) return abortReason(signal);
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
