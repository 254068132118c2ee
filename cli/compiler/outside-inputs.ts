import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import type { Metafile } from "esbuild";
import { diagnostic } from "./diagnostic.js";
import { ENTRY_NAMESPACE } from "./esbuild-options.js";
import { isInside, relativePath, type SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";

/** The code of an import or a link that leads outside the project. */
export const OUTSIDE_PROJECT = "WK2007";

/**
 * Imports of files outside the project, at the importing line. esbuild runs in the compiler's own
 * process, outside the sandbox: an import that leaves the project's repository (`../../`, an
 * absolute path, a symbolic link, a tsconfig path) would copy any file the CI can read into the
 * bundle, and a module could put it into the manifest. Allowed: the project, the rest of the Git
 * checkout it lives in (a workspace's own packages, linked from `node_modules`; committed content,
 * the author's anyway) but never a `.git` folder, packages (under a `node_modules` folder) and the
 * SDK. Checked before the bundle runs.
 */
export function outsideImports(metafile: Metafile, projectDir: string, sdk: SdkLocation): Diagnostic[] {
  let real = projectDir;
  try {
    real = realpathSync(projectDir);
  } catch {
    // The project folder vanished: its files failed to bundle already.
  }
  const checkout = checkoutRoot(real);
  // Each module imports the same few files (the SDK, its services' modules): judged once per path.
  const judged = new Map<string, boolean>();
  const allowed = (input: string): boolean => {
    let verdict = judged.get(input);
    if (verdict === undefined) judged.set(input, (verdict = allowedPath(input)));
    return verdict;
  };
  // esbuild names inputs by their real path, relative to the project.
  const allowedPath = (input: string): boolean => isGenerated(input) || withinReach(path.resolve(projectDir, input), projectDir, checkout, sdk);
  const diagnostics: Diagnostic[] = [];
  for (const [importer, info] of Object.entries(metafile.inputs)) {
    for (const { path: input, original } of info.imports) {
      if (allowed(input)) continue;
      const shown = original ?? input;
      // The generated entry imports the config and the modules themselves: the file is the place.
      const at = isGenerated(importer) ? { file: shown.replace(/^\.\//, ""), line: 1, column: 1 } : importLocation(projectDir, importer, shown);
      diagnostics.push(
        diagnostic(
          "error",
          OUTSIDE_PROJECT,
          `\`${shown}\` is outside the project (${relativePath(projectDir, path.resolve(projectDir, input))}); modules may import the project's files and installed packages only`,
          "move the file into the project, or install it as a package; a symbolic link to a file elsewhere is refused too",
          at,
        ),
      );
    }
  }
  return diagnostics;
}

/**
 * Files the type checker read (named as it names them: a link keeps its own name) whose real path
 * is outside the project, as `outsideImports` judges an import. tsc follows a triple-slash
 * reference or a type-only import (`typeof import("./x.js")`), which the bundle never sees, through
 * a link anywhere, and its messages quote what it read (`Cannot find name 'ghp_...'` for a file
 * holding a bare token) or place it (each NUL of `/proc/self/environ` is an "Invalid character").
 */
export function outsideCheckedFiles(files: readonly string[], projectDir: string, sdk: SdkLocation): string[] {
  const real = (file: string) => {
    try {
      return realpathSync(file);
    } catch {
      return path.resolve(file);
    }
  };
  const project = real(projectDir);
  const checkout = checkoutRoot(project);
  return [...new Set(files)].filter((file) => !withinReach(real(file), project, checkout, sdk));
}

/** The refusal of a file the type checker read outside the project, at the name the project gives it. */
export function outsideCheckedDiagnostic(projectDir: string, file: string): Diagnostic {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // Gone since the check: the name is all there is.
  }
  return diagnostic(
    "error",
    OUTSIDE_PROJECT,
    `${relativePath(projectDir, file)} is outside the project (${relativePath(projectDir, target)}); the type check read it, and its diagnostics are not shown`,
    "move the file into the project, or install it as a package; a symbolic link to a file elsewhere is refused too",
    { file: relativePath(projectDir, file), line: 1, column: 1 },
  );
}

/** True for a real path a module may use: the project, its checkout, the SDK or a package, never a `.git` folder. */
function withinReach(file: string, projectDir: string, checkout: string, sdk: SdkLocation): boolean {
  if (file.split(path.sep).includes(".git")) return false;
  return isInside(projectDir, file) || isInside(checkout, file) || isInside(sdk.packageRoot, file) || file.split(path.sep).includes("node_modules");
}

/** The Git checkout (or worktree) that holds the project: the nearest folder up with a `.git`; the project itself outside any. */
function checkoutRoot(projectDir: string): string {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return projectDir;
  }
}

function isGenerated(input: string): boolean {
  return input.startsWith(`${ENTRY_NAMESPACE}:`) || input.startsWith("<");
}

/** Where `importer` names `specifier`, or its first line. */
function importLocation(projectDir: string, importer: string, specifier: string): { file: string; line: number; column: number } {
  const file = importer.split(path.sep).join("/");
  let source = "";
  try {
    source = readFileSync(path.resolve(projectDir, importer), "utf8");
  } catch {
    return { file, line: 1, column: 1 };
  }
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const column = Math.max(lines[i]!.indexOf(`"${specifier}"`), lines[i]!.indexOf(`'${specifier}'`));
    if (column >= 0) return { file, line: i + 1, column: column + 1 };
  }
  return { file, line: 1, column: 1 };
}
