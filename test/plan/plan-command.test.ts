import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { run } from "../../cli/commands/plan.js";
import { UserError } from "../../cli/errors.js";
import { readPlanDocument } from "../../cli/plan/plan-document.js";

/** A real TypeScript project in a real git repository, compiled by the real compiler. */
const dir = mkdtempSync(join(tmpdir(), "wk-plan-cmd-"));

function write(file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

function git(...args: string[]): void {
  execFileSync("git", args, { cwd: dir });
}

const monitorFile = (expression: string) => `import { check, monitor } from "watchkeeper";
import { api } from "../policies/oncall.js";

export const apiUp = monitor({
  id: "api-up",
  name: "API up",
  schedule: { cron: "${expression}", timezone: "UTC" },
  check: check.http({ url: "https://api.example.test/health", expect: { status: 200 } }),
  severity: "critical",
  service: api,
  summary: "API is down",
});
`;

async function plan(args: Record<string, unknown>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const code = await run({ project: dir, format: "text", ...args });
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(() => {
  write("watchkeeper.config.ts", `import { config } from "watchkeeper";\nexport default config({ name: "cmd-test", monitors: ["monitors/**/*.ts"], policies: ["policies/**/*.ts"], statusPage: { title: "Test" } });\n`);
  write(
    "policies/oncall.ts",
    `import { escalationPolicy, schedule, service, user } from "watchkeeper";
export const ana = user({ id: "ana", name: "Ana", email: "ana@example.test" });
export const week = schedule({ id: "week", name: "Week", timeZone: "UTC", layers: [{ start: "2026-01-05T09:00:00Z", rotation: "1w", users: [ana] }] });
export const policy = escalationPolicy({ id: "policy", rules: [{ delay: "10m", targets: [week] }] });
export const api = service({ id: "api", name: "API", escalationPolicy: policy });
`,
  );
  write("monitors/api.ts", monitorFile("*/5 * * * *"));
  git("init", "-q", "-b", "main");
  git("-c", "user.email=t@example.test", "-c", "user.name=t", "add", "-A");
  git("-c", "user.email=t@example.test", "-c", "user.name=t", "commit", "-q", "-m", "base");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("wk plan (real compiler, real git)", { timeout: 120_000 }, () => {
  test("exit 0 without changes, 4 (changes present) with --detailed-exitcode when a monitor changed, and the change in JSON", async () => {
    const same = await plan({ base: "main", "detailed-exitcode": true });
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("No changes");

    write("monitors/api.ts", monitorFile("* * * * *"));
    const changed = await plan({ base: "main", format: "json", "detailed-exitcode": true });
    expect(changed.code).toBe(4);
    const json = JSON.parse(changed.stdout);
    expect(json.monitors).toEqual([
      { id: "api-up", action: "change", changes: [{ path: "schedule.expression", before: "*/5 * * * *", after: "* * * * *" }] },
    ]);
    expect((await plan({ base: "main" })).code).toBe(0);
  });

  test("exit 1 with the diagnostics when the working tree does not compile", async () => {
    write("monitors/broken.ts", `import { monitor } from "watchkeeper";\nexport const broken = monitor({ id: 42 });\n`);
    try {
      const result = await plan({ base: "main" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("monitors/broken.ts");
      expect(result.stdout).toBe("");
    } finally {
      rmSync(join(dir, "monitors/broken.ts"));
    }
  });

  test("--format json prints the diagnostics as JSON on stdout, with ok false and exit 1, when the working tree does not compile", async () => {
    write("monitors/broken.ts", `import { monitor } from "watchkeeper";\nexport const broken = monitor({ id: 42 });\n`);
    try {
      const result = await plan({ base: "main", format: "json" });
      expect(result.code).toBe(1);
      const json = JSON.parse(result.stdout);
      expect(json.ok).toBe(false);
      expect(json.summary.errors).toBeGreaterThan(0);
      expect(json.diagnostics).toContainEqual(expect.objectContaining({ severity: "error", file: "monitors/broken.ts", line: 2 }));
    } finally {
      rmSync(join(dir, "monitors/broken.ts"));
    }
  });

  test("the git base is not type-checked again: a committed type slip that still loads does not block the plan", async () => {
    write("monitors/typo.ts", `import { check, monitor } from "watchkeeper";\nconst n: string = 5;\nexport const typo = monitor({ id: "typo-check", schedule: "* * * * *", check: check.tcp({ host: "db.example.test", port: 5432 }), summary: String(n) });\n`);
    git("-c", "user.email=t@example.test", "-c", "user.name=t", "add", "-A");
    git("-c", "user.email=t@example.test", "-c", "user.name=t", "commit", "-q", "-m", "typo");
    try {
      rmSync(join(dir, "monitors/typo.ts"));
      const result = await plan({ base: "HEAD", format: "json" });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).monitors).toContainEqual(expect.objectContaining({ id: "typo-check", action: "remove" }));
    } finally {
      git("reset", "-q", "--hard", "HEAD~1");
    }
  });

  test("--out saves the plan document that wk deploy --plan reads, and stdout keeps the chosen format", async () => {
    const out = join(dir, "artifacts", "plan.json");
    write("monitors/api.ts", monitorFile("*/2 * * * *"));
    try {
      const result = await plan({ base: "main", out, format: "markdown" });
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith("<!-- watchkeeper-plan -->")).toBe(true);
      const doc = await readPlanDocument(out);
      expect(doc).toMatchObject({ kind: "WatchkeeperPlan", version: 1, project: "cmd-test", base: { kind: "git", ref: "main" } });
      expect(doc.plan.monitors.map((m) => m.id)).toEqual(["api-up"]);
      expect(result.stdout).toContain(doc.planToken);
    } finally {
      write("monitors/api.ts", monitorFile("*/5 * * * *"));
      rmSync(join(dir, "artifacts"), { recursive: true, force: true });
    }
  });

  test("an edited policy file shows in the plan though the monitor that imports it is unchanged", async () => {
    const policies = "policies/oncall.ts";
    const before = readFileSync(join(dir, policies), "utf8");
    // The monitor's own file is unchanged, but it imports the edited policies file.
    write(policies, before.replace('name: "API"', 'name: "API gateway"'));
    try {
      const result = await plan({ base: "main", format: "json" });
      expect(result.stderr).toBe("");
      const json = JSON.parse(result.stdout);
      expect(json.resources).toContainEqual(expect.objectContaining({ name: "service:api", action: "update" }));
      expect(JSON.stringify(json.resources)).toContain("API gateway");
      // And the base is the committed one whatever the working tree's compile cache holds.
      expect((await plan({ base: "main", format: "json" })).stdout).toBe(result.stdout);
    } finally {
      write(policies, before);
    }
    expect((await plan({ base: "main", "detailed-exitcode": true })).code).toBe(0);
  });

  test("an unknown base ref is a user error naming the ref", async () => {
    const error = await plan({ base: "release-9" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('"release-9"');
  });

  test("--summary with --format markdown or json is refused (exit 2) before the compile, not dropped for the whole plan", async () => {
    for (const format of ["markdown", "json"]) {
      const error = await plan({ summary: true, format }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect((error as UserError).message).toBe(`--summary prints counts as text; --format ${format} prints the whole plan`);
      expect((error as UserError).hint).toBe(`leave out --summary for the whole plan as ${format}, or leave out --format for the counts`);
    }
  });
});
