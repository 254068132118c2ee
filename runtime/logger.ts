import { createRequire } from "node:module";
import { pino, type DestinationStream, type Logger } from "pino";
import type { PinoPretty } from "pino-pretty";
import { redactUrlsIn } from "./redact-url.js";
import { replaceForms, secretForms } from "./text/redact.js";
import { escapeTerminalControls } from "./text/terminal-text.js";

/** pino-pretty is loaded only for pretty logs: a container's JSON logs do without its 0.5 MB. */
const loadPretty = (): typeof PinoPretty => (createRequire(import.meta.url)("pino-pretty") as { PinoPretty: typeof PinoPretty }).PinoPretty;

/**
 * Replaces every known secret value, in every form results and answers are scrubbed of (URL- and
 * JSON-encoded, nested JSON, a URL secret's path and its Basic credentials: secretForms), in a JSON log line, and
 * keeps the line valid JSON: inside a string only the text is replaced, and a string holding
 * escapes is decoded first and encoded again (a value ending in `\` would otherwise leave half an
 * escape that swallows the closing quote, and a PIN `0000` would cut the `\u0000` a NUL is written
 * as); outside strings a number or literal holding a secret (an emergency PIN inside
 * `"durationMs":12024`, a secret that reads `true`) becomes the string "[redacted]", since a bare
 * [redacted] there would make the whole line unreadable to a log shipper.
 */
export function redactSecrets(written: string, values: string[]): string {
  const forms = formsOf(values);
  if (forms.length === 0) return written;
  const inText = (text: string) => replaceForms(text, forms);
  const line = redactBuffers(written, forms);
  /** A string literal's content (between the quotes), redacted. */
  const inString = (content: string) => {
    if (!content.includes("\\")) return inText(content);
    let decoded: string;
    try {
      decoded = JSON.parse(`"${content}"`) as string;
    } catch {
      return inText(content);
    }
    const redacted = inText(decoded);
    return redacted === decoded ? content : JSON.stringify(redacted).slice(1, -1);
  };
  const outsideStrings = (text: string) => text.replace(/[^\s{}[\]:,"]+/g, (token) => (forms.some((f) => token.includes(f)) ? '"[redacted]"' : token));
  let out = "";
  let at = 0;
  while (at < line.length) {
    const open = line.indexOf('"', at);
    if (open < 0) return out + outsideStrings(line.slice(at));
    out += outsideStrings(line.slice(at, open));
    let close = open + 1;
    while (close < line.length && line[close] !== '"') close += line[close] === "\\" ? 2 : 1;
    // Not JSON after all (no closing quote): the rest is redacted as text.
    if (close >= line.length) return `${out}"${inText(line.slice(open + 1))}`;
    out += `"${inString(line.slice(open + 1, close))}"`;
    at = close + 1;
  }
  return out;
}

/** A Buffer as JSON writes it (its toJSON): the bytes as a list of numbers, which no text search reads. */
const BUFFER_JSON = /\{"type":"Buffer","data":\[([\d,]*)\]\}/g;

/** A line with the data of every Buffer that holds a secret (read as UTF-8) replaced by "[redacted]". */
function redactBuffers(line: string, forms: string[]): string {
  if (!line.includes('"type":"Buffer"')) return line;
  return line.replace(BUFFER_JSON, (whole, data: string) => {
    const text = Buffer.from(data === "" ? [] : data.split(",").map(Number)).toString("utf8");
    return forms.some((form) => text.includes(form)) ? '{"type":"Buffer","data":"[redacted]"}' : whole;
  });
}

/**
 * The forms of the secrets the last line was redacted of: the values rarely change, and a URL
 * secret's forms parse it, once per line otherwise.
 */
let lastForms: { key: string; forms: string[] } = { key: "", forms: [] };

function formsOf(values: string[]): string[] {
  const key = JSON.stringify(values);
  if (key !== lastForms.key) lastForms = { key, forms: secretForms(values) };
  return lastForms.forms;
}

export interface LoggerOptions {
  level?: string;
  /** Current secret values; called for each line, so a secret set later is still redacted. */
  secretValues: () => string[];
  destination?: DestinationStream;
  /**
   * `json` (default): one JSON object a line, for containers and log shippers. `pretty`: one
   * human-readable line each (pino-pretty), for a terminal.
   */
  format?: LogFormat;
}

export type LogFormat = "json" | "pretty";

/**
 * How `wk run` logs: WK_LOG_FORMAT when set (json or pretty), else pretty on a terminal and JSON
 * anywhere else (a container's stdout is not a TTY).
 */
export function logFormatFor(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): LogFormat {
  const asked = env["WK_LOG_FORMAT"];
  if (asked === "json" || asked === "pretty") return asked;
  return stdoutIsTty ? "pretty" : "json";
}

/**
 * JSON logs (pino) with secret values removed from every line as it is written. Redaction works on
 * the serialised line rather than on known field paths, so a secret echoed inside an error message
 * or a URL is caught too; a pretty line is made from the redacted JSON, so it holds no secret
 * either. Writes are synchronous: the log channel marks an intent dispatched right after logging
 * it, and a kill must not lose a line already counted as sent.
 */
export function createLogger(o: LoggerOptions): Logger {
  const destination =
    o.format === "pretty"
      ? loadPretty()({ sync: true, destination: o.destination ?? 1, colorize: o.destination === undefined && !process.env["NO_COLOR"], translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" })
      : (o.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: o.level ?? "info",
      base: { service: "watchkeeper" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // URL credentials (userinfo, `?api_key=`) are redacted too: they are not declared secrets.
      hooks: {
        streamWrite: (line: string) => {
          const redacted = redactUrlsIn(redactSecrets(line, o.secretValues()));
          return o.format === "pretty" ? forTerminal(redacted) : redacted;
        },
      },
    },
    destination,
  );
}

/**
 * A redacted JSON log line with every string in it (keys too) escaped for a terminal, for
 * pino-pretty to lay out. pino-pretty prints the message as it is, keeping line feeds and bidi
 * overrides and silently dropping other controls, so a monitor name, a check's output or a vendor's
 * answer could start a line that reads as another log entry, or hide what follows. The JSON line
 * itself needs none of this: JSON escapes every C0 control, and a log shipper shows what it holds.
 */
function forTerminal(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${escapeTerminalControls(line.replace(/\n$/, ""))}\n`;
  }
  return `${JSON.stringify(escapedForTerminal(entry, null))}\n`;
}

/** An error's stack keeps the line breaks between its frames (pino-pretty indents them under the entry); its head is one line. */
const STACK_FRAME_BREAK = /\n(?=\s+at )/;

function escapedForTerminal(value: unknown, key: string | null): unknown {
  if (typeof value === "string") {
    if (key === "stack") return value.split(STACK_FRAME_BREAK).map(escapeTerminalControls).join("\n");
    return escapeTerminalControls(value);
  }
  if (Array.isArray(value)) return value.map((v) => escapedForTerminal(v, null));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[escapeTerminalControls(k)] = escapedForTerminal(v, k);
  return out;
}
