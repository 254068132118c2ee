import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { sha256, type CompileCache } from "./compile-cache.js";
import { fileStamp, projectFiles, type ProjectFiles } from "./project-files.js";

/**
 * What the type check may skip. The cache holds one state per project: the content hash of every
 * project file of the last program TypeScript found clean (the roots and every file they import
 * by relative path), and the names in each folder holding them. Only clean programs are stored:
 * a run with errors always reports them from a fresh check.
 *
 * Against the disk, before a check:
 * - nothing changed: the program is clean, tsc does not run;
 * - some files changed: tsc checks them and every file that imports them, directly or not (their
 *   diagnostics can change; no other file's can, since a module's types depend only on what it
 *   imports); the files they import come along into that program;
 * - a file was added next to or removed from the program's files, a changed file declares globals
 *   (`declare global`, `declare module`, or it is a script without imports or exports), or the key
 *   changed (compiler, options, SDK, dependencies): a full check.
 */
export type TypecheckPlan =
  | { kind: "clean" }
  | { kind: "check"; roots: string[]; full: boolean; save: () => void };

interface State {
  files: Record<string, string>;
  dirs: Record<string, string>;
}

const ENTRY = "typecheck";

export function planTypecheck(cache: CompileCache | null, key: string, roots: string[], files: ProjectFiles = projectFiles()): TypecheckPlan {
  if (!cache) return { kind: "check", roots, full: true, save: () => {} };
  const scan = scanProgram(roots, files);
  const state: State = { files: {}, dirs: {} };
  for (const file of scan.texts.keys()) state.files[file] = files.hash(file)!;
  for (const [dir, names] of scan.listings) state.dirs[dir] = sha256(names.join("\n"));
  // A file edited while tsc ran may not be what tsc read: then nothing is stored.
  const save = () => {
    if (scan.stamps.every(([file, stamp]) => fileStamp(file) === stamp)) cache.write(ENTRY, key, state);
  };
  const full: TypecheckPlan = { kind: "check", roots, full: true, save };

  const before = cache.read<State>(ENTRY, key);
  if (!before || typeof before.files !== "object" || typeof before.dirs !== "object") return full;
  if (!sameRecord(before.dirs, state.dirs)) return full;
  if (Object.keys(before.files).some((file) => !(file in state.files))) return full;
  const changed = Object.keys(state.files).filter((file) => before.files[file] !== state.files[file]);
  if (changed.length === 0) return { kind: "clean" };
  if (changed.some((file) => declaresGlobals(scan.texts.get(file)!))) return full;

  const importers = new Map<string, string[]>();
  for (const [file, imports] of scan.graph) for (const target of imports) importers.set(target, [...(importers.get(target) ?? []), file]);
  const affected = new Set<string>();
  const queue = [...changed];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (affected.has(file)) continue;
    affected.add(file);
    queue.push(...(importers.get(file) ?? []));
  }
  return { kind: "check", roots: [...affected].sort(), full: false, save };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

/** True for text whose declarations can reach files that do not import it. */
export function declaresGlobals(text: string): boolean {
  if (/\bdeclare\s+(global|module|namespace)\b/.test(text)) return true;
  return !/^\s*(import|export)\b/m.test(text);
}

interface ProgramScan {
  texts: Map<string, string>;
  /** Each file's imports of other scanned files. */
  graph: Map<string, string[]>;
  /** Sorted names in each folder holding a scanned file. */
  listings: Map<string, string[]>;
  /** Size and modification time of each file when it was read. */
  stamps: [string, string][];
}

// Import specifiers in any form TypeScript follows: `from "x"`, `import "x"`, `import("x")`,
// `require("x")`, `/// <reference path="x" />`. Matches in comments only add files to a check.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|<reference\s+path\s*=\s*)["']([^"'\n]+)["']/g;

/** The roots and every file they reach by relative imports (packages are keyed by the lockfile). */
export function scanProgram(roots: string[], files: ProjectFiles = projectFiles()): ProgramScan {
  const texts = new Map<string, string>();
  const stamps: [string, string][] = [];
  const graph = new Map<string, string[]>();
  const listings = new Map<string, string[]>();
  // Per folder, its files (a folder listing says which names are files: no stat per candidate).
  const filesIn = new Map<string, Set<string>>();
  const list = (dir: string): Set<string> => {
    let files = filesIn.get(dir);
    if (!files) {
      let entries: import("node:fs").Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        entries = [];
      }
      listings.set(dir, entries.map((e) => e.name).sort());
      files = new Set(entries.filter((e) => e.isFile() || (e.isSymbolicLink() && isFile(path.join(dir, e.name)))).map((e) => e.name));
      filesIn.set(dir, files);
    }
    return files;
  };
  const exists = (file: string) => list(path.dirname(file)).has(path.basename(file));
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (texts.has(file)) continue;
    const text = files.text(file);
    if (text === null) continue;
    texts.set(file, text);
    stamps.push([file, files.stamp(file)]);
    list(path.dirname(file));
    const imports: string[] = [];
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1]!;
      if (!specifier.startsWith(".") && !path.isAbsolute(specifier)) continue;
      for (const candidate of candidates(path.resolve(path.dirname(file), specifier))) {
        if (exists(candidate)) imports.push(candidate);
      }
    }
    graph.set(file, imports);
    queue.push(...imports);
  }
  return { texts, graph, listings, stamps };
}

/** Every file a relative specifier may resolve to (over-approximated: more files only cost time). */
function candidates(target: string): string[] {
  const js = /\.(m|c)?jsx?$/.exec(target);
  if (js) {
    const stem = target.slice(0, -js[0].length);
    const m = js[1] ?? "";
    return [target, `${stem}.${m}ts`, `${stem}.${m}tsx`, `${stem}.d.${m}ts`, `${stem}.tsx`];
  }
  if (/\.(m|c)?tsx?$|\.json$/.test(target)) return [target];
  return [target, `${target}.ts`, `${target}.tsx`, `${target}.d.ts`, path.join(target, "index.ts"), path.join(target, "index.tsx"), path.join(target, "index.d.ts")];
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
