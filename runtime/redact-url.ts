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
const SECRET_WORDS = new Set(["key", "sig", "pass", "pwd", "sid", "jwt", "otp", "code"]);
const SECRET_PARTS = ["token", "secret", "passw", "passwd", "auth", "signature", "session", "credential", "apikey", "privatekey", "bearer", "cookie"];

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
  // Userinfo ends at the last `@` before the path: passwords may contain an unescaped `@`.
  const authorityEnd = rest.search(/[/?#\\]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  if (scheme && at !== -1) rest = rest.slice(at + 1);
  return (scheme ? scheme[0] : "") + redactParams(rest);
}

/** Every URL inside free text (messages, log lines, JSON, HTML before escaping), redacted. */
export function redactUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

/** A deep copy of a JSON-like value with every string passed through redactUrlsIn. */
export function redactUrlsInValue<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactUrlsIn(value) as T;
  if (depth > 32 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactUrlsInValue(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactUrlsInValue(v, depth + 1);
  return out as T;
}

/**
 * Scheme, `://`, then anything up to whitespace, a quote, an angle bracket or a backslash. Stopping
 * at a backslash keeps JSON text valid when it is redacted after serialising (`\"`, `\n`).
 */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;

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
