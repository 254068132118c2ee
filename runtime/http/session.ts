import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { SignedOutSessions } from "./signed-out.js";

/** The cookie a browser signs in with (docs/views.md "Signing in"). */
export const SESSION_COOKIE = "wk_session";
/** A session lasts a working day; then the token is asked for again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * A browser session: `<issuedAt>.<HMAC-SHA256(key(token), issuedAt)>`. The cookie never holds the
 * token itself; the key is derived from it, so rotating WATCHKEEPER_API_TOKEN signs everyone out,
 * and every replica (and a restarted runtime) accepts the sessions of the others without sharing
 * state. Time is an argument.
 */
export function issueSession(token: string, now: number): string {
  const issuedAt = String(Math.floor(now));
  return `${issuedAt}.${mac(token, issuedAt).toString("base64url")}`;
}

export function verifySession(value: string, token: string, now: number): boolean {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const issuedAt = Number(m[1]);
  const given = Buffer.from(m[2]!, "base64url");
  const expected = mac(token, m[1]!);
  const genuine = given.length === expected.length && timingSafeEqual(given, expected);
  return genuine && issuedAt <= now + 60_000 && now - issuedAt <= SESSION_TTL_MS;
}

/** When a session was issued (ms), null when the value is no session; says nothing of whether it is genuine. */
export function sessionIssuedAt(value: string): number | null {
  const m = /^(\d{1,16})\.[A-Za-z0-9_-]{43}$/.exec(value);
  return m ? Number(m[1]) : null;
}

function mac(token: string, issuedAt: string): Buffer {
  const key = createHmac("sha256", token).update("watchkeeper-session-key").digest();
  return createHmac("sha256", key).update(`watchkeeper-session:${issuedAt}`).digest();
}

/** The value of one cookie of a request, or "" when absent (the first, when it is sent several times). */
export function cookie(req: IncomingMessage, name: string): string {
  return cookies(req, name)[0] ?? "";
}

/** The non-empty values a request sends for one cookie name, in the order sent. */
function cookies(req: IncomingMessage, name: string): string[] {
  const header = req.headers.cookie ?? "";
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const value = pair.slice(eq + 1).trim();
    if (pair.slice(0, eq).trim() === name && value !== "") values.push(value);
  }
  return values;
}

/**
 * Sessions looked at per request: a browser sends a name once per cookie it holds for the request
 * (the runtime's own, and ones another site set for the domain at each prefix of the path, six at
 * most for the deepest page), and a client filling a 16 KB header with them gets no more checks.
 */
const SESSIONS_CHECKED = 16;

/**
 * Whether the request carries a valid session for this token. Every `wk_session` it sends counts,
 * not only the first: another site of the same domain can set one for the whole domain, or for a
 * longer path, which browsers send ahead of the runtime's own, and reading only that one would
 * keep the team signed out. A session signed out (`signedOut`) no longer counts, wherever its
 * cookie was copied to.
 */
export function hasSession(req: IncomingMessage, token: string, now: number, signedOut?: SignedOutSessions): boolean {
  return sessionsOf(req, token, now).some((value) => !signedOut?.has(value));
}

/** The genuine, unexpired sessions a request carries (signed out or not). */
export function sessionsOf(req: IncomingMessage, token: string, now: number): string[] {
  return cookies(req, SESSION_COOKIE)
    .slice(0, SESSIONS_CHECKED)
    .filter((value) => verifySession(value, token, now));
}

/**
 * The Set-Cookie header: HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it), Secure when the runtime is reached over https (its publicUrl or the connection).
 */
export function sessionCookie(value: string, secure: boolean, maxAgeSeconds = SESSION_TTL_MS / 1000): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}
