import pc from "picocolors";
import { sortDiagnostics, summarize, type DiagnosticSummary } from "./diagnostic.js";
import type { Diagnostic, Severity } from "./types.js";
import { visible, visibleJson, visibleLine } from "../visible-text.js";

export interface FormatOptions {
  /** Color the output (only when writing to a terminal). */
  color: boolean;
}

/**
 * Every diagnostic, grouped by file and sorted by line, as `file:line:col  severity  code
 * message` with a `hint:` line under it, then a summary line. Editors and terminals turn the
 * leading location into a link. A message quotes what a module holds or printed, so its controls
 * are spelled out (`visible`).
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const c = pc.createColors(options.color);
  const paint: Record<Severity, (s: string) => string> = { error: c.red, warning: c.yellow, notice: c.blue };
  const lines: string[] = [];
  let group: string | null | undefined;
  for (const d of sortDiagnostics(diagnostics)) {
    if (group !== undefined && d.file !== group) lines.push("");
    group = d.file;
    // A place is one line: a line break in a file's name is spelled, never printed.
    const where = d.file === null ? "(project)" : visibleLine([d.file, d.line, d.column].filter((p) => p !== null).join(":"));
    lines.push(`${c.bold(where)}  ${paint[d.severity](d.severity)}  ${c.dim(d.code)}  ${visible(d.message)}`);
    if (d.hint) lines.push(`  ${c.cyan("hint:")} ${visible(d.hint)}`);
  }
  if (lines.length > 0) lines.push("");
  lines.push(summaryLine(summarize(diagnostics), c));
  return lines.join("\n") + "\n";
}

function summaryLine(s: DiagnosticSummary, c: ReturnType<typeof pc.createColors>): string {
  if (s.errors + s.warnings + s.notices === 0) return c.green("no problems found");
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const text = `${plural(s.errors, "error")}, ${plural(s.warnings, "warning")}, ${plural(s.notices, "notice")}`;
  return s.errors > 0 ? c.red(text) : c.yellow(text);
}

/** The documented `--json` shape (docs/compiler.md); fields are only ever added. */
export interface JsonReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  summary: DiagnosticSummary;
  /** `wk compile` only: where the artifact was written and its manifest hash; null when nothing was written. */
  artifact?: { dir: string; hash: string } | null;
}

/**
 * What a command's `--json` (or `--format json`) prints on stdout when the project does not
 * compile: the `wk validate --json` report (`ok: false`, every diagnostic, the summary), with the
 * command's own top-level fields empty, so a CI job parsing stdout gets JSON and the reason.
 */
export function compileFailureJson(diagnostics: readonly Diagnostic[], emptyFields: Record<string, unknown> = {}): string {
  return visibleJson(JSON.stringify({ ...jsonReport(diagnostics), ...emptyFields }, null, 2)) + "\n";
}

export function jsonReport(diagnostics: readonly Diagnostic[], artifact?: JsonReport["artifact"]): JsonReport {
  const sorted = sortDiagnostics(diagnostics).map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    hint: d.hint,
    file: d.file,
    line: d.line,
    column: d.column,
  }));
  const summary = summarize(diagnostics);
  return { ok: summary.errors === 0, diagnostics: sorted, summary, ...(artifact === undefined ? {} : { artifact }) };
}
