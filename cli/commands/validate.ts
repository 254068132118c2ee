import { compileProject, formatDiagnostics, jsonReport } from "../compiler/index.js";
import { EXIT, type ExitStatus } from "../errors.js";
import { visibleJson } from "../visible-text.js";

/** `wk validate`: type check and validate the project, print every diagnostic, write nothing. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const result = await compileProject({ projectDir: String(args.project ?? "."), write: false, bundle: false, manifest: false });
  if (args.json === true) {
    process.stdout.write(visibleJson(JSON.stringify(jsonReport(result.diagnostics), null, 2)) + "\n");
  } else {
    process.stdout.write(formatDiagnostics(result.diagnostics, { color: process.stdout.isTTY === true }));
  }
  return result.ok ? EXIT.ok : EXIT.findings;
}
