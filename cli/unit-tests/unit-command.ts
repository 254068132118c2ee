import { compileFailureJson } from "../compiler/format.js";
import { EXIT, type ExitStatus } from "../errors.js";
import { renderReports } from "./render.js";
import { runUnitTests } from "./run-unit-tests.js";
import { visibleJson } from "../visible-text.js";

type Paint = Parameters<typeof renderReports>[2];

/** `wk test --unit`: exit 0 when every test passed, 1 for a failing test or a bad one. */
export async function runUnitCommand(projectDir: string, json: boolean, pc: Paint): Promise<ExitStatus> {
  const run = await runUnitTests(projectDir);
  if (run.kind === "compile-failed") {
    // The diagnostics went to stderr as text; a CI job reading --json still gets JSON on stdout.
    if (json) process.stdout.write(compileFailureJson(run.diagnostics, { tests: [], problems: [] }));
    return EXIT.findings;
  }
  if (run.files.length === 0) {
    process.stderr.write("error: no test modules found\nhint: add a *.wktest.ts module (see docs/unit-tests.md), or set `tests` in watchkeeper.config.ts\n");
    return EXIT.findings;
  }
  const ok = run.problems.length === 0 && run.reports.every((r) => r.ok);
  if (json) {
    process.stdout.write(visibleJson(JSON.stringify({ ok, tests: run.reports, problems: run.problems }, null, 2)) + "\n");
  } else {
    process.stdout.write(renderReports(run.reports, run.problems, pc));
  }
  return ok ? EXIT.ok : EXIT.findings;
}
