import path from "node:path";
import { parseDuration } from "../../sdk/duration.js";
import { EXIT, UserError } from "../errors.js";
import { openCompileCache } from "./compile-cache.js";
import { likelyRoots } from "./discover.js";
import { locateSdk } from "./paths.js";
import { projectFiles } from "./project-files.js";
import { skipTypecheck, startTypechecker } from "./typechecker.js";
import type { CompileOptions, CompileResult } from "./types.js";

export type { CompileOptions, CompileResult, Diagnostic, Severity } from "./types.js";
export { compileFailureJson, formatDiagnostics, jsonReport, type JsonReport } from "./format.js";
export { BUNDLE_FILE, MANIFEST_FILE } from "./artifact-files.js";

/**
 * Compiles a project: discover -> type check -> load -> validate (schema, rules) -> synthesize
 * -> write. Every problem in the project is a diagnostic in the result; a throw means a bug or a
 * broken environment. The artifact is written only when no error was found.
 */
export async function compileProject(options: CompileOptions): Promise<CompileResult> {
  const projectDir = path.resolve(options.projectDir);
  const sdk = locateSdk();
  // A plan's git base is not type-checked, and its temporary checkout gets no cache either.
  const cache = options.typecheck === false || options.cache === false ? null : openCompileCache(projectDir, process.env, (message) => process.stderr.write(`warning: ${message}\n`));
  // One read of each project file for the whole compile: both caches and the rules ask for them.
  const files = projectFiles();
  const checker = options.typecheck === false ? skipTypecheck() : startTypechecker(sdk, projectDir, cache, files);
  // The bundles and the type check start on the likely file list while the config runs.
  const likely = await likelyRoots(projectDir);
  try {
    const { runPipeline } = await import("./pipeline.js");
    return await runPipeline({ ...options, projectDir, loadTimeoutMs: options.loadTimeoutMs ?? loadTimeoutOverride(process.env["WK_LOAD_TIMEOUT"]) }, sdk, checker, cache, likely, files);
  } finally {
    await checker.close();
  }
}

/**
 * WK_LOAD_TIMEOUT (a duration such as "2s") overrides the project's `load.timeout`, and is the only
 * limit the config's own load can have: CI can tighten it, tests shorten it.
 */
function loadTimeoutOverride(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UserError(`WK_LOAD_TIMEOUT must be a duration such as "30s", not ${JSON.stringify(value)}`, EXIT.usage);
  return ms;
}
