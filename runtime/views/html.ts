import { withoutDirectionalControls } from "../text/bidi.js";

/**
 * HTML built only through `html`: every interpolated value is escaped unless it is itself Html,
 * so user text (monitor names, summaries, check output, diagnostics, agent names, silence
 * comments) cannot become markup by forgetting a call.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for element content and quoted attribute values, and shown in the order it is stored. */
export function esc(text: string): string {
  return withoutDirectionalControls(text).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value as HTML: Html as is, arrays joined, nothing for null/undefined/false, text escaped. */
function part(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return esc(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the code itself wrote (never user text). */
export function trusted(text: string): Html {
  return new Html(text);
}

/** A path segment for a link: ids and dedup keys are encoded, never pasted. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
