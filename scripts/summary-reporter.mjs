// Prints the ten slowest test files, then one plain closing line, "tests: N passed, N failed, N skipped",
// as the very last line of the run (after vitest's own summary), so that any CI reading plain summaries sees the counts.
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
    // The slowest files, so a CI log shows where the time goes when the run nears its budget.
    const slowest = testModules
      .map((mod) => ({ file: mod.moduleId.replace(`${process.cwd()}/`, ""), seconds: (mod.diagnostic().duration ?? 0) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10)
      .map(({ file, seconds }) => `  ${seconds.toFixed(1).padStart(6)} s  ${file}`)
      .join("\n");
    process.once("exit", () => {
      writeSync(1, `\nslowest files:\n${slowest}\n`);
      writeSync(1, `\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    });
  }
}
