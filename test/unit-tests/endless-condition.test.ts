import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURE = path.join(ROOT, "test/unit-tests/fixtures/project");

// A condition that loops for ever passes the compile (it is never called there) and used to hang
// `wk test --unit` (and the CI job running it) for good. It runs in a code worker, as in the runtime.
describe("wk test --unit with a condition that never returns", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wk-unit-endless-"));
    await cp(FIXTURE, dir, { recursive: true });
    await rm(path.join(dir, "tests"), { recursive: true });
    await mkdir(path.join(dir, "tests"));
    await writeFile(
      path.join(dir, "monitors/spin.ts"),
      `import { check, monitor } from "watchkeeper";
import { paymentsService } from "../policies/oncall.js";

export const spin = monitor({
  id: "spin",
  schedule: { every: "1m" },
  check: check.http({ url: "https://api.example.com/health" }),
  condition: (result) => {
    while (result.ok) {}
    return true;
  },
  service: paymentsService,
});
`,
    );
    await writeFile(
      path.join(dir, "tests/spin.wktest.ts"),
      `import { monitorTest } from "watchkeeper";
import { spin } from "../monitors/spin.js";

export const spinning = monitorTest({
  name: "spin stays quiet while the site answers",
  monitor: spin,
  start: "2026-12-05T03:00:00Z",
  steps: [{ at: "+0s", http: { status: 200 } }],
  expect: [{ at: "+0s", alert: "inactive" }],
});
`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ends, and the failing test says the condition was stopped", async () => {
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, "bin/watchkeeper.js"), "test", "--unit", "--project", dir], { env: { ...process.env, NO_COLOR: "1" } });
      let stdout = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stdout += c.toString()));
      const kill = setTimeout(() => child.kill("SIGKILL"), 90_000);
      child.on("close", (code) => {
        clearTimeout(kill);
        resolve({ code, stdout });
      });
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain("FAIL spin stays quiet while the site answers");
    expect(run.stdout).toMatch(/tests\/spin\.wktest\.ts:4: the project's condition of spin ran for more than 2 s without returning \(an endless loop\?\) and was stopped/);
  }, 120_000);
});
