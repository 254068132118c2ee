import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NO_PRETENURING } from "./pretenuring.js";

// Objects from three allocation sites that all survive: V8 would decide to pretenure them.
const WORKLOAD = `
const keep = [];
const make = (i) => ({ a: i, b: [i, i + 1], c: { d: i } });
for (let r = 0; r < 6; r++) { for (let i = 0; i < 200000; i++) keep.push(make(i)); if (keep.length > 1e6) keep.splice(0, 500000); }
`;

/** V8's pretenuring decisions ("undecided => maybe tenure", ...) in a node process running the workload. */
function decisions(setFlag: string | null): string[] {
  const script = (setFlag === null ? "" : `require("node:v8").setFlagsFromString(${JSON.stringify(setFlag)});`) + WORKLOAD;
  const run = spawnSync(process.execPath, ["--trace-pretenuring-statistics", "-e", script], { encoding: "utf8", timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split("\n").filter((line) => /=> (maybe tenure|tenure)/.test(line));
}

describe("allocation-site pretenuring in the runtime's process", () => {
  it("is turned off by the flag the runtime sets at start (V8 would ignore a misspelt one)", () => {
    // The workload does make V8 pretenure, so the second run's silence means something.
    expect(decisions(null).length).toBeGreaterThan(0);
    expect(decisions(NO_PRETENURING)).toEqual([]);
  });
});
