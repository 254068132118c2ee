import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { runtimeSettingsOf, type Manifest } from "../../sdk/manifest/schema.js";
import { sendJson, type Handler } from "./router.js";
import { cookie, hasSession, SESSION_COOKIE } from "./session.js";
import type { SignedOutSessions } from "./signed-out.js";
import type { TokenGuesses } from "./token-guesses.js";

/** Secret holding the API token: `Authorization: Bearer <token>` on the detail API and on every change. */
export const API_TOKEN_SECRET = "WATCHKEEPER_API_TOKEN";

/** What the guards need: the token (read per request, so a mounted secret is picked up) and the project's settings. */
export interface ApiAccess {
  token(): string | undefined;
  /** `runtime.openReads`: the detail API answers without the token. */
  openReads: boolean;
  /** `settings.publicUrl`: its origin counts as the runtime's own. */
  publicUrl: string | null;
  /** The clock sessions are checked against (browser sign-in, runtime/http/session.ts). */
  now?: () => number;
  /** Wrong bearer tokens per client, shared by every guard of the runtime (uncounted without it). */
  guesses?: TokenGuesses;
  /** Sessions signed out before they expired: refused wherever their cookie is sent from. */
  signedOut?: SignedOutSessions;
}

/** The access rules of a manifest's runtime, with the token read through `secret` on every request. */
export function apiAccessOf(manifest: Manifest, secret: (name: string) => string | undefined, now: () => number = Date.now, guesses?: TokenGuesses, signedOut?: SignedOutSessions): ApiAccess {
  return { token: () => secret(API_TOKEN_SECRET), openReads: runtimeSettingsOf(manifest).openReads, publicUrl: manifest.settings.publicUrl, now, ...(guesses ? { guesses } : {}), ...(signedOut ? { signedOut } : {}) };
}

/** A refusal: the status to answer, a message that names what to configure, and (429) how long to wait. */
export type Refusal = { status: number; error: string; retryAfterMs?: number };

const CLOSED_WRITES = `changes through the API are disabled: set the ${API_TOKEN_SECRET} secret and send Authorization: Bearer <token>`;
const CLOSED_READS = `the detail API is closed: set the ${API_TOKEN_SECRET} secret and send Authorization: Bearer <token>, or set runtime.openReads: true in watchkeeper.config.ts`;

/** Constant-time comparison of two strings of any length (both are hashed to one size first). */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token of a request, or "" when there is none. */
export function bearerToken(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  return m ? m[1]! : "";
}

/**
 * Reads of the detail API and the internal views: open when `runtime.openReads`, else the bearer
 * token or a signed-in browser's session cookie; closed when no token is set.
 */
export function refuseRead(req: IncomingMessage, access: ApiAccess): Refusal | null {
  if (access.openReads) return null;
  const token = access.token();
  if (!token) return { status: 403, error: CLOSED_READS };
  const now = (access.now ?? Date.now)();
  const presented = bearerOf(req, token, access, now);
  if (presented === "right") return null;
  if (typeof presented === "object") return presented;
  if (hasSession(req, token, now, access.signedOut)) return null;
  if (presented === "wrong") access.guesses?.failed(req, now);
  return { status: 401, error: "a valid bearer token is required (Authorization: Bearer <token>)" };
}

/**
 * Changes (silences, anything that alters alert state): closed without a token; with one, the
 * bearer token, a same-origin request and, when a body is sent, `Content-Type: application/json`.
 */
export function refuseWrite(req: IncomingMessage, access: ApiAccess, body: Buffer): Refusal | null {
  const token = access.token();
  if (!token) return { status: 403, error: CLOSED_WRITES };
  const crossSite = refuseCrossOrigin(req, access.publicUrl);
  if (crossSite) return crossSite;
  const now = (access.now ?? Date.now)();
  const presented = bearerOf(req, token, access, now);
  if (typeof presented === "object") return presented;
  if (presented !== "right" && !browserSession(req, token, access)) {
    if (presented === "wrong") access.guesses?.failed(req, now);
    return { status: 401, error: "a valid bearer token is required (Authorization: Bearer <token>)" };
  }
  if (body.length > 0 && !isJson(req)) return { status: 415, error: "send the body as Content-Type: application/json" };
  return null;
}

/**
 * The request's bearer token against the configured one. A client that sent too many wrong ones
 * this minute has its token not compared at all, right or wrong (answering the right one would
 * tell a guesser which it is): 429 until the oldest of its failures is a minute old. Others'
 * failures never hold back a client, and a 429 counts as no failure, so the wait never grows.
 */
function bearerOf(req: IncomingMessage, token: string, access: ApiAccess, now: number): "absent" | "right" | "wrong" | Refusal {
  const given = bearerToken(req);
  if (given === "") return "absent";
  const waitMs = access.guesses?.waitMs(req, now) ?? 0;
  if (waitMs > 0) return { status: 429, error: "too many wrong tokens from this address; wait and try again", retryAfterMs: waitMs };
  return tokenEquals(given, token) ? "right" : "wrong";
}

/**
 * A signed-in browser may change things too (the silences page), but only when it proves where
 * the request comes from: the cookie is SameSite=Strict, and on top of that an `Origin` (checked
 * against the runtime's own by refuseCrossOrigin) or `Sec-Fetch-Site: same-origin` must be present,
 * so a request that says nothing about its origin cannot ride on the cookie.
 */
function browserSession(req: IncomingMessage, token: string, access: ApiAccess): boolean {
  if (cookie(req, SESSION_COOKIE) === "") return false;
  const site = single(req.headers["sec-fetch-site"])?.toLowerCase();
  if (single(req.headers.origin) === undefined && site !== "same-origin") return false;
  return hasSession(req, token, (access.now ?? Date.now)(), access.signedOut);
}

/**
 * Browsers say where a request comes from; a page on another site must not drive this runtime.
 * Refused: `Sec-Fetch-Site: cross-site | same-site`, and an `Origin` other than the runtime's own
 * (the publicUrl's origin, or http(s):// plus the Host header). Requests without these headers
 * (curl, scripts) are not browsers' cross-site requests and pass.
 */
export function refuseCrossOrigin(req: IncomingMessage, publicUrl: string | null): Refusal | null {
  const site = single(req.headers["sec-fetch-site"])?.toLowerCase();
  if (site === "cross-site" || site === "same-site") return { status: 403, error: "cross-site requests are refused" };
  const origin = single(req.headers.origin);
  if (origin === undefined) return null;
  if (!ownOrigins(req, publicUrl).has(originOf(origin))) return { status: 403, error: "cross-origin requests are refused" };
  return null;
}

/**
 * An origin as URL serializes it: lower case, without the scheme's default port. A proxy may write
 * the Host with the port the browser left out (`wk.example.com:443`), which still names the origin
 * the browser sends as `https://wk.example.com`. Text that is no URL (`null`) stays as it is.
 */
function originOf(text: string): string {
  return URL.canParse(text) ? new URL(text).origin.toLowerCase() : text.toLowerCase();
}

/**
 * Whether a browser's navigation came from another site: its `Sec-Fetch-Site` says so (https and
 * localhost), or, where browsers send none (plain http), its `Referer` names another origin.
 * A navigation that says nothing is not counted as one.
 */
export function navigatedFromAnotherSite(req: IncomingMessage, publicUrl: string | null): boolean {
  const site = single(req.headers["sec-fetch-site"])?.toLowerCase();
  if (site !== undefined) return (site === "cross-site" || site === "same-site") && single(req.headers["sec-fetch-mode"])?.toLowerCase() === "navigate";
  const referer = single(req.headers.referer);
  return referer !== undefined && URL.canParse(referer) && !ownOrigins(req, publicUrl).has(originOf(referer));
}

/** Wraps a handler of the detail API in the read guard. */
export function guardRead(access: ApiAccess, handler: Handler): Handler {
  return (req, res, params, body) => {
    const refused = refuseRead(req, access);
    if (refused) return refuse(res, refused);
    return handler(req, res, params, body);
  };
}

/** Wraps a handler that changes alert state in the write guard. */
export function guardWrite(access: ApiAccess, handler: Handler): Handler {
  return (req, res, params, body) => {
    const refused = refuseWrite(req, access, body);
    if (refused) return refuse(res, refused);
    return handler(req, res, params, body);
  };
}

/** Answers a refusal as JSON, with `WWW-Authenticate` on a 401 and `Retry-After` on a 429. */
export function refuse(res: ServerResponse, refusal: Refusal): void {
  if (refusal.status === 401) res.setHeader("www-authenticate", 'Bearer realm="watchkeeper"');
  if (refusal.retryAfterMs !== undefined) res.setHeader("retry-after", String(Math.ceil(refusal.retryAfterMs / 1000)));
  sendJson(res, refusal.status, { error: refusal.error });
}

function ownOrigins(req: IncomingMessage, publicUrl: string | null): Set<string> {
  const own = new Set<string>();
  // A publicUrl that does not parse names no origin.
  if (publicUrl && URL.canParse(publicUrl)) own.add(originOf(publicUrl));
  const host = single(req.headers.host)?.toLowerCase();
  if (host) {
    own.add(originOf(`http://${host}`));
    own.add(originOf(`https://${host}`));
  }
  return own;
}

function isJson(req: IncomingMessage): boolean {
  const type = single(req.headers["content-type"])?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json";
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
