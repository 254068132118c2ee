import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { EXIT, UserError } from "../errors.js";

/**
 * TypeScript 7, the native compiler, as the type checker. It is this package's dependency under
 * the alias `typescript7` (the repository's own `typescript` devDependency is TypeScript 6, which
 * builds watchkeeper itself; ts-morph carries its own TypeScript 6 for reading and writing source).
 * The `typescript` package is only a launcher: the compiler is one executable in a platform
 * package (`@typescript/typescript-linux-x64`, ...), which is run directly. The launcher's own
 * Node process would add a start-up, and on Node 20 it cannot `execve` into the binary.
 */
export interface NativeTsc {
  exe: string;
  /** `7.0.2`: part of every cache key. */
  version: string;
}

let located: NativeTsc | null = null;

/** Finds the native tsc from this module, as Node resolves dependencies (hoisted or nested). */
export function locateNativeTsc(): NativeTsc {
  if (located) return located;
  const here = createRequire(import.meta.url);
  let launcherManifest: string;
  try {
    launcherManifest = here.resolve("typescript7/package.json");
  } catch {
    throw new UserError(
      "TypeScript 7 (the `typescript7` dependency of watchkeeper) is not installed",
      EXIT.findings,
      "reinstall watchkeeper's dependencies (`npm install`); install scripts are not needed",
    );
  }
  const { version } = JSON.parse(readFileSync(launcherManifest, "utf8")) as { version: string };
  const platformPackage = `@typescript/typescript-${process.platform}-${process.arch}`;
  let exeDir: string;
  try {
    exeDir = path.join(path.dirname(createRequire(launcherManifest).resolve(`${platformPackage}/package.json`)), "lib");
  } catch {
    throw new UserError(
      `TypeScript 7 has no compiler for this platform installed (${platformPackage})`,
      EXIT.findings,
      "reinstall without --omit=optional (the compiler binary is an optional dependency of typescript), or check that your platform is supported",
    );
  }
  const exe = path.join(exeDir, process.platform === "win32" ? "tsc.exe" : "tsc");
  if (!existsSync(exe)) throw new UserError(`TypeScript 7's compiler is missing at ${exe}`, EXIT.findings, "reinstall watchkeeper's dependencies");
  located = { exe, version };
  return located;
}

/** One diagnostic as `tsc --pretty false` prints it; `file` is absolute, `line`/`column` 1-based. */
export interface TscDiagnostic {
  category: "error" | "warning" | "message";
  code: number;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
}

/** What one run of tsc found, and every file its program read (absolute, as tsc names them). */
export interface TscRun {
  diagnostics: TscDiagnostic[];
  files: string[];
}

/**
 * Runs `tsc --noEmit --pretty false --listFiles -p tsconfig` with `cwd` as the current folder and
 * returns its diagnostics and the files it read. Exit 0 is a clean program, 1 and 2 mean
 * diagnostics; anything else, or output that is not diagnostics, is a broken environment and throws.
 */
export function runNativeTsc(tsc: NativeTsc, tsconfig: string, cwd: string, signal?: AbortSignal): Promise<TscRun> {
  return new Promise((resolve, reject) => {
    execFile(
      tsc.exe,
      ["--noEmit", ...tscThreads(availableParallelism()), "--pretty", "false", "--listFiles", "-p", tsconfig],
      { cwd, env: CHECKER_ENV, maxBuffer: 256 * 1024 * 1024, encoding: "utf8", windowsHide: true, ...(signal ? { signal } : {}) },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
        const diagnostics = parseTscOutput(stdout, cwd);
        if (status === 0 || ((status === 1 || status === 2) && diagnostics.length > 0)) return resolve({ diagnostics, files: listedFiles(stdout) });
        const said = `${stderr}\n${stdout}`.trim().slice(-2_000);
        reject(new Error(`TypeScript 7 (${tsc.exe}) ended without a result (${error?.message ?? `exit ${status}`})${said ? `: ${said}` : ""}`));
      },
    );
  });
}

/** The files `--listFiles` names: the lines of the output that are absolute paths on their own. */
export function listedFiles(stdout: string): string[] {
  return stdout.split(/\r?\n/).filter((line) => line !== "" && path.isAbsolute(line) && !AT_FILE.test(line));
}

/**
 * The check runs beside esbuild, the module sandbox and the compiler's own work. On two cores
 * TypeScript 7's checker threads took those cores from them without finishing sooner: on the
 * benchmark tree `--singleThreaded` checked in the same wall time with two thirds of the CPU, and a
 * cold `wk compile` ran about 5 % faster (bench/results/compile.md). With more cores to go round,
 * its own default stands.
 */
export function tscThreads(cores: number): string[] {
  return cores <= 2 ? ["--singleThreaded"] : [];
}

/**
 * tsc needs no environment, and the CI's (tokens included) would be its `/proc/self/environ`, a
 * file a project's link can make it read. Windows programs need `SYSTEMROOT`.
 */
const CHECKER_ENV: Record<string, string> = process.platform === "win32" && process.env["SYSTEMROOT"] ? { SYSTEMROOT: process.env["SYSTEMROOT"] } : {};

const AT_FILE = /^(.+)\((\d+),(\d+)\): (error|warning|message) TS(\d+): (.*)$/;
const NO_FILE = /^(error|warning|message) TS(\d+): (.*)$/;

/**
 * Parses `file(line,col): error TS2322: message` lines. A message chain continues on indented
 * lines; they are joined with a space, keeping their indentation, which is exactly what
 * `flattenDiagnosticMessageText(text, " ")` gave under TypeScript 6, so messages read as before.
 */
export function parseTscOutput(stdout: string, cwd: string): TscDiagnostic[] {
  const out: TscDiagnostic[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const at = AT_FILE.exec(line);
    if (at) {
      const [, file, row, col, category, code, message] = at;
      out.push({ category: category as TscDiagnostic["category"], code: Number(code), message: message!, file: path.resolve(cwd, file!), line: Number(row), column: Number(col) });
      continue;
    }
    const bare = NO_FILE.exec(line);
    if (bare) {
      const [, category, code, message] = bare;
      out.push({ category: category as TscDiagnostic["category"], code: Number(code), message: message!, file: null, line: null, column: null });
      continue;
    }
    const last = out[out.length - 1];
    if (last && line.startsWith(" ")) last.message += ` ${line}`;
  }
  return out;
}
