import path from "node:path";
import { BUNDLE_FILE, compileProject, formatDiagnostics, jsonReport, MANIFEST_FILE } from "../compiler/index.js";
import { EXIT, type ExitStatus } from "../errors.js";

/** `wk compile`: validate, then write manifest.json and monitors.mjs when nothing is wrong. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const result = await compileProject({
    projectDir: String(args.project ?? "."),
    outDir: typeof args.out === "string" ? args.out : undefined,
  });
  const written = result.ok && result.manifest ? { dir: result.outDir, hash: result.manifest.hash } : null;
  if (args.json === true) {
    process.stdout.write(JSON.stringify(jsonReport(result.diagnostics, written), null, 2) + "\n");
  } else {
    process.stdout.write(formatDiagnostics(result.diagnostics, { color: process.stdout.isTTY === true }));
    if (written) {
      const shown = path.relative(process.cwd(), written.dir) || ".";
      process.stdout.write(`wrote ${shown}/${MANIFEST_FILE} and ${BUNDLE_FILE} (${result.manifest!.monitors.length} monitors, ${written.hash})\n`);
    } else {
      process.stdout.write("nothing written: fix the errors above and compile again\n");
    }
  }
  return result.ok ? EXIT.ok : EXIT.findings;
}
