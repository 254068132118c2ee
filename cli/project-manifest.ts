import type { Manifest } from "../sdk/manifest/schema.js";
import { EXIT, UserError } from "./errors.js";

/**
 * Compiles the project in memory (nothing written) for commands that only read its manifest,
 * such as `wk simulate` and `wk oncall`. Errors are printed and end the command with exit 1;
 * warnings stay for `wk validate`, so the answer is not buried under them.
 */
export async function projectManifest(projectDir: string, now: Date, opts: { json?: boolean } = {}): Promise<Manifest> {
  const { compileFailureJson, compileProject, formatDiagnostics } = await import("./compiler/index.js");
  const result = await compileProject({ projectDir, write: false, bundle: false, now });
  if (!result.ok || !result.manifest) {
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const text = formatDiagnostics(errors, { color: process.stderr.isTTY === true });
    process.stderr.write(text.endsWith("\n") ? text : text + "\n");
    // `--format json`: stdout still carries JSON, with every diagnostic (as `wk validate --json`).
    if (opts.json === true) process.stdout.write(compileFailureJson(result.diagnostics));
    throw new UserError("the project does not compile; fix the errors above (wk validate shows every finding)", EXIT.findings, undefined, opts.json === true);
  }
  return result.manifest;
}
