import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildFailure, Message } from "esbuild";
import { diagnostic } from "./diagnostic.js";
import type { Diagnostic } from "./types.js";

/**
 * Writes a bundle to the compile's private work folder and imports it. Stacks of anything it
 * throws are source-mapped back to the author's files (the bundle carries an inline map).
 */
export async function importBundle(workDir: string, name: string, text: string): Promise<Record<string, unknown>> {
  process.setSourceMapsEnabled(true);
  const file = path.join(workDir, name);
  await writeFile(file, text);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** esbuild's errors (syntax, unresolved imports) as diagnostics at the author's file:line. */
export function buildFailureDiagnostics(error: unknown): Diagnostic[] | null {
  const failure = error as Partial<BuildFailure>;
  if (!Array.isArray(failure.errors)) return null;
  return failure.errors.map(messageDiagnostic);
}

export function messageDiagnostic(message: Message): Diagnostic {
  const loc = message.location;
  const unresolved = /^Could not resolve/.test(message.text);
  return diagnostic(
    "error",
    unresolved ? "WK2005" : "WK2004",
    message.text,
    unresolved
      ? "check the import path (relative imports need the file's extension, `.js` or `.ts`) or install the package"
      : "fix the syntax at this place; `wk validate` reads the same TypeScript your editor does",
    loc ? { file: loc.file.split(path.sep).join("/"), line: loc.line, column: loc.column + 1 } : {},
  );
}
