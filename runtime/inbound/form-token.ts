import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Awaitable } from "../awaitable.js";

/** How long a served form can be submitted: long enough to type a report, short enough to go stale. */
export const FORM_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Clocks of replicas behind one load balancer may differ a little. */
const FUTURE_SKEW_MS = 60 * 1000;

/**
 * The emergency form's anti-forgery token: `<issuedAt>.<HMAC-SHA256(key, issuedAt)>`, with a key
 * drawn at random when the runtime starts. A page on another site cannot read the form, so it
 * cannot post a valid token; a restart invalidates forms served before it (the user resubmits).
 * Time is an argument.
 */
export class FormTokens {
  constructor(
    private readonly key: Buffer = randomBytes(32),
    private readonly ttlMs: number = FORM_TOKEN_TTL_MS,
  ) {}

  issue(now: number): string {
    const issuedAt = String(Math.floor(now));
    return `${issuedAt}.${this.mac(issuedAt).toString("base64url")}`;
  }

  /** Whether the token was issued by this runtime within the last `ttlMs`; compared in constant time. */
  verify(token: string, now: number): boolean {
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const issuedAt = Number(m[1]);
    const given = Buffer.from(m[2]!, "base64url");
    const expected = this.mac(m[1]!);
    const genuine = given.length === expected.length && timingSafeEqual(given, expected);
    return genuine && issuedAt <= now + FUTURE_SKEW_MS && now - issuedAt <= this.ttlMs;
  }

  private mac(issuedAt: string): Buffer {
    return createHmac("sha256", this.key).update(`watchkeeper-emergency-form:${issuedAt}`).digest();
  }
}

/**
 * The form key every runtime serving the same people shares: scale-out replicas stand behind one
 * load balancer, and a form one of them served is often posted to another. Made once, at random,
 * by whichever replica asks first; a store without it (SQLite: one runtime per state folder)
 * leaves each runtime the key it drew at start-up. Never derived from a password: the tokens are
 * handed to anyone who opens the page, and would let them guess it offline.
 */
export interface FormKeySource {
  /** 64 hex digits (32 random bytes), the same for every caller of this store. */
  emergencyFormKey(): Awaitable<string>;
}

/** A shared key as FormTokens takes it; null when it is not 32 bytes of hex (a key that short would be guessable). */
export function formKeyOf(hex: string): Buffer | null {
  return /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, "hex") : null;
}
