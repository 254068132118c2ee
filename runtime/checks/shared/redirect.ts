import type { Dispatcher } from "undici";
import { CheckError, errorExcerpt } from "../check-error.js";
import { redactUrl } from "../../redact-url.js";

/** Redirects a check follows at most; curl's default of 50 is far too many for a health check. */
export const MAX_REDIRECTS = 10;

/** One request of a check's exchange: the first, or one a redirect led to. */
export interface Hop {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  /**
   * The monitor's own headers (API keys, tokens, whatever it declared), or null once a redirect has
   * left their origin: they are meant for the target the monitor names, never for wherever it
   * points on (browsers and curl drop credentials the same way). The one exception is the same
   * host's move from http to https. Once dropped they stay dropped.
   */
  headers: Record<string, string> | null;
  /** Headers the runtime adds for the protocol (a form's content type, what it accepts): they follow every redirect. */
  protocolHeaders: Record<string, string> | null;
  body: string | null;
  /** Redirects followed to reach this request. */
  redirects: number;
}

// As undici's redirect handler: 300 with a Location is followed too.
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/**
 * The request a redirect leads to (RFC 9110 section 15.4, and fetch's rules for the method): a 303
 * turns anything but HEAD into a GET, a 301 or 302 turns a POST into a GET, and either drops the
 * body and the headers that describe it. `firstUrl` names the check's target in errors (redacted
 * here). A target that keeps redirecting past MAX_REDIRECTS, or to something that is not an
 * http(s) URL, is an error: there is no answer to judge.
 */
export function nextHop(hop: Hop, status: number, location: string, firstUrl: string): Hop {
  let url: URL | null = null;
  try {
    url = new URL(location, hop.origin + hop.path);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    const to = url === null ? "a location that is not a URL" : `a ${url.protocol.slice(0, -1)} URL`;
    throw new CheckError("bad-response", `${redactUrl(firstUrl)} redirected to ${to}; only http and https redirects are followed`);
  }
  if (hop.redirects >= MAX_REDIRECTS) {
    const last = errorExcerpt(redactUrl(url.href), 200);
    throw new CheckError(
      "bad-response",
      `${redactUrl(firstUrl)} redirected more than ${MAX_REDIRECTS} times (a check follows at most ${MAX_REDIRECTS}); the last redirect pointed to ${last}`,
    );
  }
  const toGet = (status === 303 && hop.method !== "HEAD") || ((status === 301 || status === 302) && hop.method === "POST");
  const sameOrigin = url.origin === hop.origin || upgrade(hop.origin, url);
  return {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: toGet ? "GET" : hop.method,
    headers: !sameOrigin || hop.headers === null ? null : toGet ? withoutContentHeaders(hop.headers) : hop.headers,
    protocolHeaders: toGet && hop.protocolHeaders !== null ? withoutContentHeaders(hop.protocolHeaders) : hop.protocolHeaders,
    body: toGet ? null : hop.body,
    redirects: hop.redirects + 1,
  };
}

/**
 * `http://host` sending on to `https://host` (the usual first redirect of a site that moved to TLS):
 * the same host, only safer, so the monitor's headers go with it. The way back down is not one.
 */
function upgrade(from: string, to: URL): boolean {
  if (to.protocol !== "https:" || !from.startsWith("http:")) return false;
  const before = new URL(from);
  return before.hostname === to.hostname && (before.port === "" || before.port === "80") && (to.port === "" || to.port === "443");
}

/** The headers a request sends: the monitor's and the runtime's, one object only when both are there. */
export function hopHeaders(hop: Hop): Record<string, string> | undefined {
  if (hop.protocolHeaders === null) return hop.headers ?? undefined;
  if (hop.headers === null) return hop.protocolHeaders;
  return { ...hop.headers, ...hop.protocolHeaders };
}

function withoutContentHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!name.toLowerCase().startsWith("content-")) out[name] = value;
  return out;
}
