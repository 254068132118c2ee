/**
 * What a terminal acts on rather than shows: C0 and C1 controls and DEL (a line feed or carriage
 * return starts a forged line, an ESC sequence recolours, moves the cursor or clears the screen),
 * the line and paragraph separators some viewers break lines at, and Unicode's directional
 * embeddings, overrides and isolates, which reorder the text after them (text/bidi.ts says more).
 */
const TERMINAL_CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text with every terminal control written out as an escape (`\n`, `\r`, `\t`, `\u001b`,
 * `\u202e`), so it stays on one line and shows what is there: a monitor name, a check's output or
 * a vendor's answer cannot forge a log line, recolour the terminal or hide the text after it.
 * Escaped rather than dropped, so the reader sees that something was there.
 */
export function escapeTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
