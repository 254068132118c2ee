// Prints one plain closing line, "tests: N passed, N failed, N skipped", as the very last line of the
// run (after vitest's own summary), so that any CI reading plain summaries sees the counts.
import { writeSync } from "node:fs";

export default class SummaryReporter {
  onTestRunEnd(testModules) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    process.once("exit", () => writeSync(1, `\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
