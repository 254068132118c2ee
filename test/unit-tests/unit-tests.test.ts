import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURE = path.join(ROOT, "test/unit-tests/fixtures/project");

function wk(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/watchkeeper.js"), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonRun {
  ok: boolean;
  tests: Array<{ name: string; monitor: string; ok: boolean; ticks: number; file: string; line: number }>;
  problems: unknown[];
}

describe("wk test --unit", () => {
  it("passes the repository's own scenario tests, running every one of them (exit 0)", async () => {
    const run = await wk(["test", "--unit", "--project", ".", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonRun;
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    const byMonitor = new Map<string, number>();
    for (const t of report.tests) {
      expect(t.ok, t.name).toBe(true);
      expect(t.ticks, `${t.name} evaluated its monitor`).toBeGreaterThan(0);
      byMonitor.set(t.monitor, (byMonitor.get(t.monitor) ?? 0) + 1);
    }
    // The three field scenarios: the website (its endpoints and its DNS), the checkout microservice, the workflow engine.
    expect(Object.fromEntries(byMonitor)).toEqual({
      "website-home": 3,
      "website-dns-nameservers": 1,
      "checkout-error-rate": 3,
      "checkout-latency-p99": 1,
      "workflow-failed-runs": 2,
    });
  }, 240_000);

  it("shows a failing test's timelines side by side, reports each bad input at its file:line, and exits 1", async () => {
    const run = await wk(["test", "--unit", "--project", FIXTURE]);
    expect(run.code).toBe(1);
    const out = run.stdout;
    // The passing tests pass: JSON assertions, reminders and acknowledgement, a missing heartbeat.
    expect(out).toContain("PASS api-health judges the JSON body with the monitor's own assertion");
    expect(out).toContain("PASS queue-depth reminds every 10 minutes until acknowledged");
    expect(out).toContain("PASS backup-heartbeat pages when no ping came for 1h10m");
    // The failing one: expected and actual in two columns, each row at its expectation's line.
    expect(out).toContain("FAIL api-health fires at the first failure (wrong: it needs two) (tests/failing.wktest.ts:5,");
    expect(out).toMatch(/x\s+\+0s\s+-\s+firing\s+inactive\s+tests\/failing\.wktest\.ts:11/);
    expect(out).toMatch(/trigger -> service:payments-api\s+no notifications/);
    expect(out).toMatch(/\+1m\s+-\s+firing\s+firing\s+tests\/failing\.wktest\.ts:12/);
    // Bad input, each with file:line.
    expect(out).toContain("error tests/bad-input.wktest.ts:9: steps[1]: step at 2026-12-05T03:00:00.000Z is before the test's start 2026-12-05T03:12:00.000Z");
    expect(out).toContain("error tests/bad-input.wktest.ts:18: expect[0]: api-health cannot produce the label set {instance=\"pod-1\"}: its steps give {}");
    expect(out).toContain("error tests/bad-input.wktest.ts:25: expect[0]: queue-depth cannot produce the label set {queue=\"billing\"}: its steps give {queue=\"orders\"}");
    expect(out).toContain("error tests/bad-input.wktest.ts:32: steps[0]: a `series` step does not fit api-health, whose check is http");
    expect(out).toContain("error tests/bad-input.wktest.ts:39: monitor: unknown monitor not-in-the-project: it is not in the compiled project");
    // What an attacker or a typo could feed it: a test of a thousand weeks, an unknown error reason.
    expect(out).toContain("error tests/bad-input.wktest.ts:45: the test needs more than 20,000 evaluations");
    expect(out).toContain('error tests/bad-input.wktest.ts:56: steps[0]: `error` reason "gremlins" is not one of timeout, unreachable, tls, bad-response, config, code');
    expect(out).toContain("4 tests: 3 passed, 1 failed; 7 problems in the tests");
  }, 240_000);

  it("refuses monitor ids with --unit as a usage error (exit 2)", async () => {
    const run = await wk(["test", "--unit", "website-home", "--project", "."]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("wk test --unit runs the project's test modules; it takes no monitor ids");
  }, 60_000);
});
