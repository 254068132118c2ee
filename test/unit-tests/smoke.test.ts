import { test } from "vitest";
import { runUnitTests } from "../../cli/unit-tests/run-unit-tests.js";
import { renderReports } from "../../cli/unit-tests/render.js";
test("smoke", async () => {
  const run = await runUnitTests("/work/wt-unit-tests");
  const id = (s: string) => s;
  if (run.kind === "ran") console.log(renderReports(run.reports, run.problems, { red: id, green: id, bold: id, dim: id }));
  else console.log(run);
}, 120000);
