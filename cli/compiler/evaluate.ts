import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildFailure, Message } from "esbuild";
import { diagnostic } from "./diagnostic.js";
import { specifierOfEsbuild, unresolvedImportHint } from "./import-hint.js";
import { OUTSIDE_PROJECT } from "./outside-inputs.js";
import { parseSourceMap, type BundleSourceMap } from "./source-map.js";
import type { Diagnostic } from "./types.js";

/** Maps a position in a bundle to the author's file (absolute), or null for other files. */
export type FrameMapper = (file: string, line: number, column: number) => { file: string; line: number; column: number } | null;

/** A bundle esbuild wrote to the compile's private work folder, ready for the loader child. */
export interface WrittenBundle {
  file: string;
  mapFile: string | null;
}

/** A bundle's source map, read once, or null when the bundle has none or it cannot be read. */
export function readBundleMap(bundle: WrittenBundle): BundleSourceMap | null {
  if (!bundle.mapFile) return null;
  return parseSourceMap(JSON.parse(readFileSync(bundle.mapFile, "utf8")) as { sources: string[]; mappings: string; names?: string[] });
}

/**
 * Maps stack frames in a bundle back to the author's files. Done on demand rather than with
 * Node's `--enable-source-maps`, which maps every stack of every construct eagerly and made
 * loading a 1,000-monitor project five times slower. The map is read at the first lookup.
 */
export function bundleFrameMapper(bundle: WrittenBundle, map?: () => BundleSourceMap | null): FrameMapper {
  const workDir = path.dirname(bundle.file);
  let sourceMap: BundleSourceMap | null | undefined;
  const files = new Map<string, string>();
  return (frameFile, line, column) => {
    if (!bundle.mapFile || frameFile !== bundle.file) return null;
    if (sourceMap === undefined) sourceMap = map ? map() : readBundleMap(bundle);
    const entry = sourceMap?.find(line - 1, column - 1);
    if (!entry) return null;
    let source = files.get(entry.source);
    if (source === undefined) {
      source = entry.source.startsWith("file:") ? fileURLToPath(entry.source) : path.resolve(workDir, entry.source);
      files.set(entry.source, source);
    }
    return { file: source, line: entry.line + 1, column: entry.column + 1 };
  };
}

/**
 * A function's text with the bundler's renames undone (`threshold2` back to `threshold`), so a
 * monitor's code hash is the same whichever other modules shared its bundle.
 */
export function authorFunctionText(bundle: WrittenBundle, map: BundleSourceMap | null): ((fn: Function) => string) | undefined {
  if (!map) return undefined;
  const renamed = map.renamed(readFileSync(bundle.file, "utf8"));
  if (renamed.size === 0) return undefined;
  return (fn) => fn.toString().replace(/[A-Za-z_$][\w$]*/g, (id) => renamed.get(id) ?? id);
}

/** True for a path esbuild gives (relative to the project) that leaves it and is not a package's. */
function isOutside(file: string): boolean {
  return (file.startsWith("..") || path.isAbsolute(file)) && !file.split(/[\\/]/).includes("node_modules");
}

/** esbuild's errors (syntax, unresolved imports) as diagnostics at the author's file:line. */
export function buildFailureDiagnostics(error: unknown): Diagnostic[] | null {
  const failure = error as Partial<BuildFailure>;
  if (!Array.isArray(failure.errors)) return null;
  return failure.errors.map(messageDiagnostic);
}

export function messageDiagnostic(message: Message): Diagnostic {
  const loc = message.location;
  if (loc && isOutside(loc.file)) {
    // A file reached through a link or `../` that is not a package: its text may be anything the
    // CI can read (esbuild's message quotes it), so only its name is shown.
    return diagnostic("error", OUTSIDE_PROJECT, `cannot bundle ${loc.file.split(path.sep).join("/")}: it is outside the project`, "modules may import the project's files and installed packages only; a symbolic link to a file elsewhere is refused too");
  }
  const unresolved = /^Could not resolve/.test(message.text);
  return diagnostic(
    "error",
    unresolved ? "WK2005" : "WK2004",
    message.text,
    unresolved
      ? unresolvedImportHint(specifierOfEsbuild(message.text), loc?.file ?? null)
      : "fix the syntax at this place; `wk validate` reads the same TypeScript your editor does",
    loc ? { file: loc.file.split(path.sep).join("/"), line: loc.line, column: loc.column + 1 } : {},
  );
}
