import { basicToken } from "./basic-auth.js";
import { CUT_MARKER, headWithin, wellFormed } from "./truncate.js";

export const REDACTED = "[redacted]";
/**
 * Values shorter than this are not treated as secrets: replacing them would mangle ordinary text,
 * and a secret that short protects nothing anyway.
 */
export const MIN_SECRET_LENGTH = 4;
/** How many levels of JSON-in-JSON a secret is matched through (an echoed request inside an echoed answer). */
const JSON_NESTING = 3;

/**
 * Removes secret values from text that may reach logs, results, the API, the store or a vendor.
 * Every form a value travels in is removed (as is, URL-encoded, JSON-escaped up to three levels
 * deep, a URL secret's path and long path segments, since an answer may echo only those, and its
 * credentials as HTTP Basic authentication sends them), and so is the head of a value that an
 * earlier cut left behind: a secret prefix of 4 or more characters that ends right before a cut
 * marker (`…`) or at the end of the text.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  return redactForms(text, secretForms(secrets));
}

function redactForms(text: string, parts: string[]): string {
  return parts.length === 0 ? text : replaceForms(text, parts, (out) => redactCutHeads(out, parts));
}

/**
 * `text` with every form replaced by the marker, and `after` applied (the cut heads). The marker
 * can join with what is around it into a form again (one made of the marker's own characters:
 * `d[re` in `dd[re`), so this runs again while a form was found. A text that still holds one after
 * that is not kept: the marker alone, or nothing when a form is part of the marker itself (`ted]`).
 */
export function replaceForms(text: string, forms: readonly string[], after: (text: string) => string = (t) => t): string {
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    let found = false;
    let next = out;
    for (const form of forms) {
      if (!next.includes(form)) continue;
      found = true;
      next = next.split(form).join(REDACTED);
    }
    next = after(next);
    // No form in it and nothing cut: done (the common case costs one look per form).
    if (!found && next === out) return out;
    out = next;
  }
  if (!forms.some((form) => out.includes(form))) return out;
  return forms.some((form) => REDACTED.includes(form)) ? "" : REDACTED;
}

/**
 * The one way to shorten text that may hold a secret: redact first, then cut (a cut made first
 * would leave most of a long secret where no whole-value match can find it), and never end the
 * kept text with the head of a secret.
 */
export function redactThenShorten(text: string, max: number, secrets: Iterable<string>): string {
  const parts = secretForms(secrets);
  const clean = wellFormed(redactForms(text, parts));
  if (clean.length <= max) return clean;
  if (max < CUT_MARKER.length) return "";
  let head = headWithin(clean, max - CUT_MARKER.length);
  for (let len = secretHeadEndingAt(head, head.length, parts); len > 0; len = secretHeadEndingAt(head, head.length, parts)) {
    head = headWithin(head, head.length - len);
  }
  return head + CUT_MARKER;
}

/**
 * Forms by the list of secrets they were made of. Every string of every result a check that read a
 * secret returns is redacted with the same few secrets, and making their forms (base64 at three
 * offsets, a URL secret parsed) costs several times the search itself: a bounded memo, cleared
 * when full.
 */
const formsMemo = new Map<string, readonly string[]>();
const FORMS_MEMO_SIZE = 256;

/** Every form of every secret worth matching, longest first so a longer form is never half-replaced. */
export function secretForms(secrets: Iterable<string>): string[] {
  const list = [...secrets];
  const key = JSON.stringify(list);
  const known = formsMemo.get(key);
  if (known !== undefined) return known as string[];
  const forms = formsOf(list);
  if (formsMemo.size >= FORMS_MEMO_SIZE) formsMemo.clear();
  formsMemo.set(key, Object.freeze(forms));
  return forms;
}

function formsOf(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of secrets) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    forms.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) forms.add(encoded);
    // Percent escapes as other stacks write them: a form body (URLSearchParams: a space as `+`,
    // `!'()~` escaped too), and escapes in lower case.
    forms.add(new URLSearchParams([["", value]]).toString().slice(1));
    forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    // JSON-escaped once per level of nesting: a vendor that answers with the request it refused
    // as a string inside its JSON error (or a log of that answer) escapes the value again.
    for (let level = 0, inner = value; level < JSON_NESTING; level++) {
      const escaped = JSON.stringify(inner).slice(1, -1);
      if (escaped === inner) break;
      forms.add(escaped);
      inner = escaped;
    }
    // JSON as other encoders write it: Go escapes `<>&`, PHP escapes `/`, Python every character
    // outside ASCII (as `\u00e4`). Each once, and all of them together.
    const json = JSON.stringify(value).slice(1, -1);
    const go = json.replace(/[<>&]/g, unicodeEscape);
    const php = json.replace(/\//g, "\\/");
    const python = json.replace(/[^\x00-\x7f]/g, unicodeEscape);
    for (const form of [go, php, python, python.replace(/[<>&]/g, unicodeEscape).replace(/\//g, "\\/")]) forms.add(form);
    for (const form of base64Forms(value)) forms.add(form);
    if (/^https?:\/\//.test(value)) {
      try {
        const url = new URL(value);
        if (url.pathname.length >= 10) forms.add(url.pathname);
        for (const segment of url.pathname.split("/")) if (segment.length >= 10) forms.add(segment);
        if (url.search.length >= 10) forms.add(url.search.slice(1));
        // Each credential on its own, as a vendor that refuses it may quote it: the password (a
        // token given as the user name when there is none), and every long query value (a signature).
        const credential = url.password !== "" ? url.password : url.username;
        for (const part of [credential, ...url.search.slice(1).split("&").map((pair) => pair.slice(pair.indexOf("=") + 1)).filter((v) => v.length >= MIN_QUERY_VALUE)]) {
          if (part.length < MIN_SECRET_LENGTH) continue;
          forms.add(part);
          const decoded = percentDecoded(part);
          forms.add(decoded);
          forms.add(encodeURIComponent(decoded));
        }
        // Its credentials go as HTTP Basic authentication (notify/http-send.ts), which an answer
        // that echoes the request's headers gives back in base64.
        const basic = basicToken(url);
        if (basic !== null) forms.add(basic);
      } catch {
        // not a URL after all
      }
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** A query value this long is matched on its own (a signature, a token); shorter ones are versions and flags. */
const MIN_QUERY_VALUE = 16;

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `\u00e4` for `ä` (a character outside the Basic Multilingual Plane is its two halves, as JSON writes them). */
function unicodeEscape(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** Base64 of at least this many characters is matched; shorter runs would match ordinary text. */
const MIN_BASE64_FORM = 8;

/**
 * A value in base64 and base64url: whole (a password AUTH LOGIN sends alone), and the part that is
 * the value's own at each of the three offsets it can start at inside longer base64 (`\0user\0`
 * before it in AUTH PLAIN, `user:` in Basic authentication): the characters of the 3-byte groups
 * that hold only the value's bytes, which no neighbour changes.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const out: string[] = [];
  const add = (chunk: Buffer, padded: boolean) => {
    for (const text of [chunk.toString("base64"), chunk.toString("base64url")]) {
      const form = padded ? text : text.replace(/=+$/, "");
      if (form.length >= MIN_BASE64_FORM) out.push(form);
    }
  };
  add(bytes, true);
  for (let skip = 0; skip < 3; skip++) {
    const rest = bytes.subarray(skip);
    add(rest.subarray(0, rest.length - (rest.length % 3)), false);
  }
  return out;
}

function redactCutHeads(text: string, forms: string[]): string {
  const ends: number[] = [];
  for (let i = text.indexOf(CUT_MARKER); i !== -1; i = text.indexOf(CUT_MARKER, i + 1)) ends.push(i);
  ends.push(text.length);
  let out = text;
  // Right to left, so the positions still to visit do not move.
  for (let k = ends.length - 1; k >= 0; k--) {
    const end = ends[k]!;
    const len = secretHeadEndingAt(out, end, forms);
    if (len > 0) out = out.slice(0, end - len) + REDACTED + out.slice(end);
  }
  return out;
}

/** Length of the longest proper prefix (>= MIN_SECRET_LENGTH) of a secret form that ends at `end`; 0 if none. */
function secretHeadEndingAt(text: string, end: number, forms: string[]): number {
  if (end < MIN_SECRET_LENGTH) return 0;
  const last = text.charCodeAt(end - 1);
  let best = 0;
  for (const form of forms) {
    for (let len = Math.min(form.length - 1, end); len >= MIN_SECRET_LENGTH && len > best; len--) {
      if (form.charCodeAt(len - 1) !== last) continue;
      if (text.startsWith(form.slice(0, len), end - len)) {
        best = len;
        break;
      }
    }
  }
  return best;
}
