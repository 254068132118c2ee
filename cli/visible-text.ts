/**
 * Text the CLI did not write itself (a check's output, a target's answer, a module's strings, a
 * diagnostic that quotes them) goes to a terminal or a CI log through these functions, so it is
 * read, never obeyed: an ESC or CSI sequence could recolour the terminal, set its title (OSC),
 * move the cursor and erase the lines above it, and a bidi control reorders what follows.
 */

/** Control (C0, DEL, C1), format (bidi, zero-width) and separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `\u001b`, or `\u{e0001}` past the Basic Multilingual Plane. */
function spelled(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * The text with every invisible character spelled out (`\u202e`, `\u001b`), as JSON escapes it;
 * tab and line feed are kept, for text that is shown over several lines. A reviewer must see what
 * changes: a zero-width space makes a changed name read as unchanged, bidi controls reorder a line
 * (Trojan Source), and terminal escapes can erase lines above them, such as a deletion.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => (ch === "\t" || ch === "\n" ? ch : spelled(ch)));
}

/** As `visible`, for a field shown on one line: a line feed or tab is spelled too (`\n`, `\t`), so it cannot start a forged line. */
export function visibleLine(text: string): string {
  return text.replace(INVISIBLE, (ch) => (ch === "\n" ? "\\n" : ch === "\t" ? "\\t" : spelled(ch)));
}

/** What JSON.stringify leaves as it is: DEL, C1 controls, format and separator characters. */
const RAW_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * JSON text (as JSON.stringify writes it) with the characters it leaves raw written as `\u`
 * escapes of four hex digits (`\u202e`; a surrogate pair past U+FFFF): the same JSON value, safe to print. They can only occur inside strings, where an
 * escape means the same character, so the JSON stays valid and parses to what it held.
 */
export function visibleJson(json: string): string {
  return json.replace(RAW_IN_JSON, (ch) => Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""));
}
