import type { Diagnostic, Severity } from "./types.js";

/** Where in the project a diagnostic points; all parts may be unknown. */
export interface Location {
  file: string | null;
  line: number | null;
  column: number | null;
}

export const NOWHERE: Location = { file: null, line: null, column: null };

/** Builds a diagnostic; `hint` is what the author should do about it. */
export function diagnostic(
  severity: Severity,
  code: string,
  message: string,
  hint: string | null,
  at: Partial<Location> = NOWHERE,
): Diagnostic {
  return { severity, code, message, hint, file: at.file ?? null, line: at.line ?? null, column: at.column ?? null };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

export interface DiagnosticSummary {
  errors: number;
  warnings: number;
  notices: number;
}

export function summarize(diagnostics: readonly Diagnostic[]): DiagnosticSummary {
  const summary: DiagnosticSummary = { errors: 0, warnings: 0, notices: 0 };
  for (const d of diagnostics) {
    switch (d.severity) {
      case "error":
        summary.errors++;
        break;
      case "warning":
        summary.warnings++;
        break;
      case "notice":
        summary.notices++;
        break;
    }
  }
  return summary;
}

/** Parses the `path/to/file.ts:LINE` form the manifest keeps in `source`. */
export function parseSource(source: string): Location {
  const at = source.lastIndexOf(":");
  if (at <= 0) return { file: source || null, line: null, column: null };
  const line = Number(source.slice(at + 1));
  if (!Number.isInteger(line)) return { file: source, line: null, column: null };
  return { file: source.slice(0, at), line, column: null };
}

/** Stable order: by file (project-wide problems first), then line, column and code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compare(a.file ?? "", b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compare(a.code, b.code) ||
      compare(a.message, b.message),
  );
}

/** Drops exact repeats (the same problem reached through two modules). */
export function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = JSON.stringify([d.code, d.file, d.line, d.column, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
