/**
 * Prometheus annotation templates (Go text/template) translated into Watchkeeper's summary syntax.
 * What has an equivalent is translated: `{{ $labels.x }}`, `{{ .Labels.x }}`, `{{ index $labels "x" }}`,
 * `{{ $value }}`, `{{ .Value }}`, string literals, comments, and the value formatters
 * `humanize`, `humanize1024`, `humanizePercentage`, `humanizeDuration` and `printf "%.Nf"` (as a
 * summary function, since a template cannot format). Control flow (`if`, `range`, `with`,
 * variables) cannot be translated as a whole; any other action (`query`, `$externalLabels`,
 * `title`...) is dropped from the text. Either is reported by the caller, never lost silently.
 */

export type ValueFormat = "humanize" | "humanize1024" | "humanizePercentage" | "humanizeDuration";

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "label"; name: string }
  | { kind: "value" }
  | { kind: "format"; format: ValueFormat }
  | { kind: "fixed"; digits: number };

export interface Translation {
  parts: TemplatePart[];
  /** Actions with no equivalent, as written, left out of the text. */
  dropped: string[];
  /** The first control-flow action, when the template cannot be translated as a whole. */
  controlFlow: string | null;
}

const FORMATS = new Set<string>(["humanize", "humanize1024", "humanizePercentage", "humanizeDuration"]);
const CONTROL = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);

interface Action {
  /** The action as written, with its braces. */
  raw: string;
  body: string;
}

type Piece = { kind: "text"; text: string } | { kind: "action"; action: Action };

/** Splits a template into text and actions, applying `{{-` and `-}}` whitespace trimming; null when an action is not closed. */
function pieces(template: string): Piece[] | null {
  const out: Piece[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{{", i);
    if (open < 0) {
      out.push({ kind: "text", text: template.slice(i) });
      break;
    }
    const close = closingBraces(template, open + 2);
    if (close < 0) return null;
    let text = template.slice(i, open);
    let body = template.slice(open + 2, close);
    if (body.startsWith("- ") || body === "-") {
      text = text.replace(/\s+$/, "");
      body = body.slice(1);
    }
    let trimAfter = false;
    if (body.endsWith(" -")) {
      trimAfter = true;
      body = body.slice(0, -1);
    }
    if (text) out.push({ kind: "text", text });
    out.push({ kind: "action", action: { raw: template.slice(open, close + 2), body: body.trim() } });
    i = close + 2;
    if (trimAfter) while (i < template.length && /\s/.test(template[i]!)) i++;
  }
  return out;
}

/** Index of the `}}` that closes an action, skipping quoted strings; -1 when none. */
function closingBraces(text: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "`") quote = c;
    else if (c === "}" && text[i + 1] === "}") return i;
  }
  return -1;
}

/** Why a template does not parse (an action never closed), or null. */
export function templateProblem(template: string): string | null {
  return pieces(template) === null ? "an action `{{` is not closed with `}}`" : null;
}

/** Translates one annotation's template. */
export function translateTemplate(template: string): Translation {
  const list = pieces(template) ?? [{ kind: "text" as const, text: template }];
  const parts: TemplatePart[] = [];
  const dropped: string[] = [];
  let controlFlow: string | null = null;
  for (const piece of list) {
    if (piece.kind === "text") {
      pushText(parts, piece.text);
      continue;
    }
    const translated = translateAction(piece.action.body);
    if (translated === "control") controlFlow ??= piece.action.raw;
    else if (translated === null) dropped.push(piece.action.raw);
    else if (translated.kind === "text") pushText(parts, translated.text);
    else parts.push(translated);
  }
  return { parts, dropped, controlFlow };
}

function pushText(parts: TemplatePart[], text: string): void {
  if (text === "") return;
  const last = parts[parts.length - 1];
  if (last?.kind === "text") last.text += text;
  else parts.push({ kind: "text", text });
}

type Operand = { kind: "value" } | { kind: "label"; name: string } | { kind: "text"; text: string };

function translateAction(body: string): TemplatePart | "control" | null {
  if (body.startsWith("/*") && body.endsWith("*/")) return { kind: "text", text: "" };
  const words = body.split(/\s+/);
  if (CONTROL.has(words[0]!) || /(^|\s)\$\w*\s*:?=/.test(body)) return "control";
  const stages = splitPipeline(body);
  if (stages === null || stages.length === 0) return null;
  let current: TemplatePart | null = null;
  for (const [i, stage] of stages.entries()) {
    const args = stage.trim().split(/\s+/);
    if (i === 0) {
      const operand = operandOf(stage.trim());
      if (operand) {
        current = operand;
        continue;
      }
      // A function call as the first command: `humanize $value`, `printf "%.2f" $value`.
      current = applyFunction(args[0]!, args.slice(1, -1), operandOf(args.slice(1).join(" ")) ?? operandOf(args[args.length - 1]!));
      if (current === null) return null;
      continue;
    }
    // A later stage receives the previous value as its last argument: `$value | humanize`.
    if (current === null || current.kind !== "value") return null;
    current = applyFunction(args[0]!, args.slice(1), current);
    if (current === null) return null;
  }
  return current;
}

function applyFunction(name: string, leading: string[], operand: Operand | null): TemplatePart | null {
  if (operand?.kind !== "value") return null;
  if (FORMATS.has(name) && leading.length === 0) return { kind: "format", format: name as ValueFormat };
  if (name === "printf" && leading.length === 1) {
    const m = /^"%\.(\d{1,2})f"$/.exec(leading[0]!);
    if (m) return { kind: "fixed", digits: Number(m[1]) };
  }
  return null;
}

function operandOf(text: string): Operand | null {
  if (text === "$value" || text === ".Value") return { kind: "value" };
  let m = /^(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(text);
  if (m) return { kind: "label", name: m[1]! };
  m = /^index\s+(?:\$labels|\.Labels)\s+"([a-zA-Z_][a-zA-Z0-9_]*)"$/.exec(text);
  if (m) return { kind: "label", name: m[1]! };
  m = /^"((?:[^"\\]|\\.)*)"$/.exec(text);
  if (m) {
    const unquoted = goUnquote(m[1]!);
    return unquoted === null ? null : { kind: "text", text: unquoted };
  }
  m = /^`([^`]*)`$/.exec(text);
  if (m) return { kind: "text", text: m[1]! };
  return null;
}

/** Go's escapes in an interpreted string literal, as `strconv.Unquote` reads them; a bare `\\` at the end is left to fail. */
const GO_ESCAPE = /\\(?:([abfnrtv\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|[^]?)/g;
const GO_SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34 };

/**
 * The text of a Go string literal's body, or null when Go would refuse it (`\\q`, `\\/`, `\\400`, a
 * surrogate or a code point past U+10FFFF): rules written for Prometheus use Go's escapes, which
 * JSON does not all know (`\\x41`, `\\a`, a raw tab). `\\x` and octal escapes are bytes, read as
 * UTF-8 with the text around them, as Go does.
 */
function goUnquote(body: string): string | null {
  const bytes: number[] = [];
  const utf8 = (text: string) => bytes.push(...new TextEncoder().encode(text));
  let at = 0;
  for (const m of body.matchAll(GO_ESCAPE)) {
    utf8(body.slice(at, m.index));
    at = m.index + m[0].length;
    const [, simple, hex, octal, u4, u8] = m;
    if (simple !== undefined) bytes.push(GO_SIMPLE[simple]!);
    else if (hex !== undefined || octal !== undefined) {
      const byte = hex !== undefined ? parseInt(hex, 16) : parseInt(octal!, 8);
      if (byte > 0xff) return null;
      bytes.push(byte);
    } else if (u4 !== undefined || u8 !== undefined) {
      const code = parseInt((u4 ?? u8)!, 16);
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return null;
      utf8(String.fromCodePoint(code));
    } else return null;
  }
  utf8(body.slice(at));
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function splitPipeline(body: string): string[] | null {
  const out: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "`") quote = c;
    else if (c === "|") {
      out.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) return null;
  out.push(body.slice(start));
  return out;
}

/** Whether the parts need a summary function (a formatter) rather than a template. */
export function needsFunction(parts: readonly TemplatePart[]): boolean {
  return parts.some((p) => p.kind === "format" || p.kind === "fixed");
}

/** The parts in Watchkeeper's template syntax; formatters fall back to the plain value. */
export function asTemplate(parts: readonly TemplatePart[]): string {
  return parts
    .map((p) => {
      switch (p.kind) {
        case "text":
          return p.text;
        case "label":
          return `{{labels.${p.name}}}`;
        case "value":
        case "format":
        case "fixed":
          return "{{value}}";
      }
    })
    .join("");
}

/**
 * The parts as the body of a summary function `(result) => ...`, a template literal. Labels read
 * the series' labels, as `$labels` does in Prometheus; a missing value reads "n/a".
 */
export function asTemplateLiteral(parts: readonly TemplatePart[]): string {
  const body = parts
    .map((p) => {
      switch (p.kind) {
        case "text":
          return p.text.replace(/[`\\]|\$\{/g, (m) => "\\" + m);
        case "label":
          return `\${result.labels[${JSON.stringify(p.name)}] ?? ""}`;
        case "value":
          return '${result.value ?? "n/a"}';
        case "format":
          return `\${${p.format}(result.value)}`;
        case "fixed":
          return `\${result.value === null ? "n/a" : result.value.toFixed(${p.digits})}`;
      }
    })
    .join("");
  return "`" + body + "`";
}

/** The formatters a function body uses, for its imports. */
export function formatsUsed(parts: readonly TemplatePart[]): ValueFormat[] {
  return [...new Set(parts.flatMap((p) => (p.kind === "format" ? [p.format] : [])))].sort();
}
