import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wk } from "./support.js";

/**
 * A CI job runs a command with `--json` (or `--format json`) and parses stdout. When the project
 * did not compile, `wk validate` and `wk compile` printed their JSON report, but `wk test --unit`,
 * `wk test ID`, `wk simulate` and `wk oncall` printed nothing on stdout: the job failed on a JSON
 * parse error instead of showing the diagnostics.
 */
let dir: string;
beforeAll(async () => {
  dir = path.join(await mkdtemp(path.join(tmpdir(), "wk-json-failure-")), "project");
  await mkdir(path.join(dir, "monitors"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "broken", private: true, type: "module" }));
  await writeFile(path.join(dir, "watchkeeper.config.ts"), `import { config } from "watchkeeper";\nexport default config({ name: "broken" });\n`);
  await writeFile(path.join(dir, "monitors", "broken.ts"), `import { monitor } from "watchkeeper";\nexport const broken = monitor({ id: 42 });\n`);
});
afterAll(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

/** stdout is the `wk validate --json` report (with the command's own fields, empty), and the exit is 1. */
function expectFailureReport(run: { code: number | null; stdout: string }, emptyFields: Record<string, unknown> = {}): void {
  expect(run.code).toBe(1);
  const json = JSON.parse(run.stdout) as Record<string, unknown> & { summary: { errors: number }; diagnostics: unknown[] };
  expect(json.ok).toBe(false);
  expect(json.summary.errors).toBeGreaterThan(0);
  expect(json.diagnostics).toContainEqual(expect.objectContaining({ severity: "error", file: "monitors/broken.ts", line: 2 }));
  expect(json).toMatchObject(emptyFields);
}

describe("--json when the project does not compile", () => {
  it("wk test --unit --json prints the diagnostics as JSON, with no tests, and exits 1", async () => {
    expectFailureReport(await wk(["test", "--unit", "--project", dir, "--json"]), { tests: [], problems: [] });
  });

  it("wk test ID --json prints the diagnostics as JSON, with no monitors, and exits 1", async () => {
    expectFailureReport(await wk(["test", "broken", "--project", dir, "--json"]), { monitors: [] });
  });

  it("wk simulate and wk oncall --format json print the diagnostics as JSON and exit 1", async () => {
    expectFailureReport(await wk(["simulate", "--monitor", "broken", "--at", "2026-03-28T03:12Z", "--project", dir, "--format", "json"]));
    expectFailureReport(await wk(["oncall", "--project", dir, "--format", "json"]));
  });

  it("a refusal before any report (here: a base ref that is not a git repository's) is JSON on stdout too, with the error and its hint", async () => {
    const ok = await mkdtemp(path.join(tmpdir(), "wk-json-refusal-"));
    try {
      await writeFile(path.join(ok, "watchkeeper.config.ts"), `import { config } from "watchkeeper";\nexport default config({ name: "fine" });\n`);
      const run = await wk(["plan", "--project", ok, "--base", "no-such-ref", "--format", "json"]);
      expect(run.code).not.toBe(0);
      const json = JSON.parse(run.stdout) as { ok: boolean; error: { message: string; hint?: string; exitCode: number }; diagnostics: unknown[] };
      expect(json).toMatchObject({ ok: false, diagnostics: [], error: { exitCode: run.code } });
      expect(json.error.message).toContain("no-such-ref");
    } finally {
      await rm(ok, { recursive: true, force: true });
    }
  });
});
