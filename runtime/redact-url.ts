/**
 * URL redaction shared by checks, views and the logger: whatever a monitor's URL carries in its
 * userinfo (`user:pass@`) or in query and fragment parameters named like credentials never leaves
 * the runtime. It works on text, without `new URL`, so the rest of the URL reads exactly as the
 * author wrote it and a URL the WHATWG parser refuses is still cleaned.
 */

const REDACTED = "[redacted]";

/**
 * Parameter-name words that mark a value as a credential. Matched against the name's words
 * (split on `_ - .` and camelCase) and, for the long ones, anywhere in the name (`xApiToken`).
 */
const SECRET_WORDS = new Set(["key", "sig", "pass", "pwd", "pw", "sid", "jwt", "otp", "code", "pin", "psk", "cred", "creds"]);
const SECRET_PARTS = ["token", "secret", "passw", "passwd", "passphrase", "passcode", "auth", "signature", "session", "credential", "apikey", "privatekey", "bearer", "cookie", "hmac"];

/** Whether a query or fragment parameter of this name holds a credential (case-insensitive). */
export function isSecretParamName(name: string): boolean {
  const decoded = safeDecode(name.replace(/\+/g, " "));
  const words = decoded.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const squashed = words.join("");
  return SECRET_PARTS.some((part) => squashed.includes(part));
}

/**
 * A URL without userinfo (`https://user:pass@host` -> `https://host`) and with the value of every
 * secret-looking query or fragment parameter replaced (`?api_key=K&x=1` -> `?api_key=[redacted]&x=1`).
 */
export function redactUrl(text: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  let rest = scheme ? text.slice(scheme[0].length) : text;
  // Userinfo ends at the last `@` before the path: passwords may contain an unescaped `@`, and a
  // backslash (`redis://:pa\ss@host`). Only in a URL WHATWG reads with `\` as `/` (a valid http,
  // https, ws, wss, ftp or file URL) does a backslash end the authority, so the host shown is the
  // host asked (`http://evil.example\@good.example` goes to evil.example). A URL it refuses loses
  // everything up to that `@`.
  const authorityEnd = rest.search(/[/?#]/);
  let authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const backslash = authority.indexOf("\\");
  if (backslash !== -1 && scheme !== null && /^(?:https?|wss?|ftp|file):\/\/$/i.test(scheme[0]) && URL.canParse(text)) authority = authority.slice(0, backslash);
  const at = authority.lastIndexOf("@");
  if (scheme && at !== -1) rest = rest.slice(at + 1);
  const redacted = (scheme ? scheme[0] : "") + redactParams(rest);
  // The text itself when nothing was taken out: a check keeps its monitor's URL this way, and one
  // string held per monitor is better than two.
  return redacted === text ? text : redacted;
}

/**
 * Every URL inside text that may be serialised JSON (answers, log lines) or free text, redacted so
 * that JSON stays valid: a bare `"` ends a string there, so matches never cross one, and escapes
 * (`\"`, `\\`) are taken or removed whole. A password may hold quotes, backticks and backslashes
 * (`https://ops:pa'ss@host`): userinfo is removed up to its last `@` whatever it holds short of
 * whitespace, `/ ? # @`, angle brackets and a bare `"`.
 */
export function redactUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return eachUrl(eachUrl(text, USERINFO_IN_JSON, (scheme) => scheme), URL_IN_JSON, (scheme, rest) => redactUrl(scheme + rest));
}

/**
 * The same for text that is not JSON (check messages and errors, the status page before escaping),
 * where a bare `"` is just a character and may be part of a password or a query value.
 */
export function redactUrlsInText(text: string): string {
  if (!text.includes("://")) return text;
  const known = redactedTexts.get(text);
  if (known !== undefined) return known;
  const redacted = eachUrl(eachUrl(text, USERINFO_IN_TEXT, (scheme) => scheme), URL_IN_TEXT, (scheme, rest) => redactUrl(scheme + rest));
  // Nothing to hide (the usual case): keep the one string, not an equal copy.
  const out = redacted === text ? text : redacted;
  if (text.length <= MEMO_TEXT_MAX) {
    if (redactedTexts.size >= MEMO_SIZE) redactedTexts.clear();
    redactedTexts.set(text, out);
  }
  return out;
}

/**
 * Texts with URLs already redacted. Every HTTP check's result carries its monitor's URL, the same
 * string on every tick, and parsing it again each time was about 2 % of a check's CPU. A pure
 * function's memo, bounded (cleared when full), of short texts only.
 */
const redactedTexts = new Map<string, string>();
const MEMO_SIZE = 16_384;
const MEMO_TEXT_MAX = 512;

/**
 * A JSON-like value with every string passed through redactUrlsInText: copied where a string
 * changed, the value itself where none did (every check result passes here, and almost none
 * carries a URL with credentials: the copy was garbage on every tick).
 */
export function redactUrlsInValue<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactUrlsInText(value) as T;
  if (depth > 32 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = redactUrlsInValue(v, depth + 1);
      if (r !== v && out === null) out = value.slice(0, i);
      out?.push(r);
    }
    return (out ?? value) as T;
  }
  // Keys rather than entries: no pair array per property of every result that passes.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i]!];
    const r = redactUrlsInValue(v, depth + 1);
    if (r !== v && out === null) {
      out = {};
      for (let j = 0; j < i; j++) ownProperty(out, keys[j]!, record[keys[j]!]);
    }
    if (out !== null) ownProperty(out, keys[i]!, r);
  }
  return (out ?? value) as T;
}

/** Sets an own property, `__proto__` included (an assignment would set the prototype instead). */
export function ownProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * What may follow a scheme's `://` (sticky patterns, tried right after it). URL: anything up to
 * whitespace or an angle bracket; a value may hold quotes and backslashes, and a quote that merely
 * follows a URL is at worst replaced with a secret value. Userinfo: anything up to its last `@`
 * before whitespace or `/ ? #`. In JSON text no bare `"` (it ends the string), and an escape pair
 * (`\"`, `\\`) counts as one character, so it is kept or removed whole.
 */
const URL_IN_TEXT = /[^\s<>]+/y;
const USERINFO_IN_TEXT = /(?:[^\s/?#@<>]*@)+/y;
const URL_IN_JSON = /(?:[^\s"<>\\]|\\[^\s])+/y;
const USERINFO_IN_JSON = /(?:(?:[^\s/?#@<>"\\]|\\[^\s])*@)+/y;

const SCHEME_CHAR = /[a-z0-9+.-]/i;
const LETTER = /[a-z]/i;

/**
 * Replaces every `scheme://` plus what `after` matches right behind it. Found from each `://`
 * (a scheme is the longest run of scheme characters before it, from its first letter), never by
 * trying a pattern at every position: `[a-z][a-z0-9+.-]*:\/\/` tried along 16,000 letters takes
 * quadratic time, and an unauthenticated request can put that many in a log line or an answer.
 */
function eachUrl(text: string, after: RegExp, replace: (scheme: string, rest: string) => string): string {
  let out = "";
  let last = 0;
  for (let at = text.indexOf("://"); at !== -1; at = text.indexOf("://", at + 3)) {
    if (at < last) continue;
    let start = at;
    while (start > last && SCHEME_CHAR.test(text[start - 1]!)) start--;
    while (start < at && !LETTER.test(text[start]!)) start++;
    if (start === at) continue;
    after.lastIndex = at + 3;
    const m = after.exec(text);
    if (!m || m[0].length === 0) continue;
    out += text.slice(last, start) + replace(text.slice(start, at + 3), m[0]);
    last = at + 3 + m[0].length;
  }
  return out + text.slice(last);
}

function redactParams(rest: string): string {
  const hash = rest.indexOf("#");
  const beforeHash = hash === -1 ? rest : rest.slice(0, hash);
  const fragment = hash === -1 ? null : rest.slice(hash + 1);
  const question = beforeHash.indexOf("?");
  const path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  const query = question === -1 ? null : beforeHash.slice(question + 1);
  return path + (query === null ? "" : `?${redactPairs(query)}`) + (fragment === null ? "" : `#${redactPairs(fragment)}`);
}

function redactPairs(text: string): string {
  return text
    .split(/([&;])/)
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      return isSecretParamName(name) ? `${name}=${REDACTED}` : pair;
    })
    .join("");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
