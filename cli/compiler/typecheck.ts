import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ts as TS } from "ts-morph";
import { CHECKER_TSCONFIG_OPTIONS } from "./checker-options.js";
import { diagnostic } from "./diagnostic.js";
import { relativePath, type SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";

/** What the compiler uses of ts-morph's shared package: its TypeScript and its library files. */
interface TsMorphCommon {
  ts: typeof TS;
  libFolderInMemoryPath: string;
  getLibFiles(): { fileName: string; text: string }[];
}

// ts-morph ships TypeScript together with the standard library's declaration files (kept in
// memory, not on disk). The check uses both through a plain Program: ts-morph's Project wraps
// every file and cost about 15% more CPU on the benchmark tree. Loaded with require: as an ES
// import, Node would first scan the 9 MB CommonJS TypeScript bundle for export names.
const requireHere = createRequire(import.meta.url);
const common = createRequire(requireHere.resolve("ts-morph"))("@ts-morph/common") as TsMorphCommon;
const { ts } = common;

/** One type-check program for a project: warm it up early, then check the project's files. */
export interface TypecheckSession {
  /** Parses the standard library, Node's types and the SDK's types before the file list is known. */
  warm(): void;
  check(files: string[]): Diagnostic[];
}

/**
 * Type-checks the config and the project's modules as `tsc --noEmit` would under strict
 * settings, with `watchkeeper` mapped to the compiler's own SDK. One program, no emit, library
 * declarations not re-checked: this step dominates compile time (see bench/compile).
 */
export function typecheckSession(projectDir: string, sdk: SdkLocation): TypecheckSession {
  const options = compilerOptions(projectDir, sdk);
  const host = compilerHost(options);
  return {
    warm() {
      ts.createProgram({ rootNames: [sdk.typesEntry], options, host });
    },
    check(files) {
      const program = ts.createProgram({ rootNames: files, options, host });
      return ts.getPreEmitDiagnostics(program).map((d) => toDiagnostic(projectDir, d));
    },
  };
}

/**
 * A compiler host that reads the project from disk and the standard library from ts-morph's
 * in-memory copy, and keeps every parsed file: the warm-up's declaration files are reused.
 */
function compilerHost(options: TS.CompilerOptions): TS.CompilerHost {
  const libDir = common.libFolderInMemoryPath;
  const libs = new Map(common.getLibFiles().map((f) => [`${libDir}/${f.fileName}`, f.text]));
  const host = ts.createCompilerHost(options);
  const disk = { fileExists: host.fileExists, readFile: host.readFile, getSourceFile: host.getSourceFile };
  const parsed = new Map<string, TS.SourceFile>();
  host.getDefaultLibLocation = () => libDir;
  host.getDefaultLibFileName = (o) => `${libDir}/${ts.getDefaultLibFileName(o)}`;
  host.fileExists = (file) => libs.has(file) || disk.fileExists.call(host, file);
  host.readFile = (file) => libs.get(file) ?? disk.readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const known = parsed.get(file);
    if (known) return known;
    const lib = libs.get(file);
    const source = lib !== undefined ? ts.createSourceFile(file, lib, language) : disk.getSourceFile.call(host, file, language, onError, create);
    if (source) parsed.set(file, source);
    return source;
  };
  return host;
}

/** Type-checks `files` in one go (no warm-up). */
export function typecheck(projectDir: string, files: string[], sdk: SdkLocation): Diagnostic[] {
  return typecheckSession(projectDir, sdk).check(files);
}

/**
 * The options `wk validate` checks with: `CHECKER_TSCONFIG_OPTIONS` (also the scaffold's
 * tsconfig.json) plus what depends on this machine. bench/compile gives `tsc` the same ones.
 */
export function compilerOptions(projectDir: string, sdk: SdkLocation): TS.CompilerOptions {
  const esm = isEsmPackage(projectDir);
  const nodeTypes = nodeTypesRoot(projectDir, sdk);
  const converted = ts.convertCompilerOptionsFromJson(CHECKER_TSCONFIG_OPTIONS, projectDir);
  if (converted.errors.length > 0) {
    throw new Error(`the checker's own compiler options are invalid: ${converted.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, " ")).join("; ")}`);
  }
  const options = converted.options;
  return {
    ...options,
    // NodeNext decides ESM vs CommonJS from package.json; a folder without `"type": "module"`
    // would make every import of the ESM SDK an error, so such projects are checked as bundled
    // ESM, which is how the compiler loads them anyway.
    ...(esm ? {} : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }),
    // Without Node's types anywhere, `console` and `fetch` come from the DOM library instead.
    ...(nodeTypes ? { typeRoots: [nodeTypes] } : { lib: [...(options.lib ?? []), "lib.dom.d.ts"], types: [], typeRoots: [] }),
    paths: { watchkeeper: [sdk.typesEntry] },
  };
}

function isEsmPackage(projectDir: string): boolean {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type === "module";
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** The `@types` folder holding Node's types: the project's own, else the CLI's. */
function nodeTypesRoot(projectDir: string, sdk: SdkLocation): string | null {
  for (const base of [projectDir, sdk.packageRoot]) {
    try {
      const found = createRequire(path.join(base, "package.json")).resolve("@types/node/package.json");
      return path.dirname(path.dirname(found));
    } catch {
      continue;
    }
  }
  return null;
}

const HINTS: Record<number, string> = {
  2304: "import it (`import { name } from \"watchkeeper\"` or from the module that exports it) or define it",
  2305: "export it from that module (`export const ...`) or fix the name",
  2307: "check the import path; relative imports need an extension (`./team.js`)",
  2322: "give the property a value of the expected type; your editor shows the accepted values",
  2353: "remove the property or check its spelling against the factory's props",
  2339: "check the property name; your editor lists the available ones",
  2741: "add the missing property",
  2552: "check the spelling",
};

function toDiagnostic(projectDir: string, d: TS.Diagnostic): Diagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
  const syntax = d.code >= 1000 && d.code < 2000;
  const hint =
    HINTS[d.code] ??
    (syntax ? "fix the syntax at this place" : "fix the type error; `wk validate` checks types like `tsc --noEmit` in strict mode");
  const severity = d.category === ts.DiagnosticCategory.Warning ? "warning" : d.category === ts.DiagnosticCategory.Error ? "error" : "notice";
  if (!d.file || d.start === undefined) return diagnostic(severity, `TS${d.code}`, message, hint);
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return diagnostic(severity, `TS${d.code}`, message, hint, {
    file: relativePath(projectDir, d.file.fileName),
    line: line + 1,
    column: character + 1,
  });
}
