import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXIT, reportError, UserError } from "../../cli/errors.js";
import { ROOT, wk } from "../compiler/support.js";

/** A real project in a real git repository; the CLI runs as its own process, from the build. */
const dir = mkdtempSync(join(tmpdir(), "wk-exit-"));

function write(file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

const monitorFile = (expression: string) => `import { check, monitor } from "watchkeeper";
export const apiUp = monitor({
  id: "api-up",
  name: "API up",
  schedule: { cron: "${expression}", timezone: "UTC" },
  check: check.tcp({ host: "db.example.test", port: 5432 }),
  summary: "API is down",
});
`;

beforeAll(() => {
  write("package.json", JSON.stringify({ name: "exit-codes", private: true, type: "module" }));
  write("watchkeeper.config.ts", `import { config } from "watchkeeper";\nexport default config({ name: "exit-codes", monitors: ["monitors/**/*.ts"] });\n`);
  write("monitors/api.ts", monitorFile("*/5 * * * *"));
  // Modules import the package by name, as a user's project does.
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  execFileSync("ln", ["-s", ROOT, join(dir, "node_modules", "watchkeeper")]);
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.test", "-c", "user.name=t", ...args], { cwd: dir });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (...extra: string[]) => wk(["plan", "--project", dir, "--base", "main", "--detailed-exitcode", ...extra], { WK_PLAN_CACHE: "off" });

describe("every exit code has one meaning", { timeout: 180_000 }, () => {
  test("the codes are distinct and named", () => {
    expect(EXIT).toEqual({ ok: 0, findings: 1, usage: 2, internal: 3, changes: 4 });
    expect(new Set(Object.values(EXIT)).size).toBe(5);
  });

  test("a plan without changes exits 0 and one with changes exits 4 (changes present)", async () => {
    expect((await plan()).code).toBe(EXIT.ok);
    write("monitors/api.ts", monitorFile("* * * * *"));
    try {
      const changed = await plan();
      expect(changed.stderr).toBe("");
      expect(changed.code).toBe(EXIT.changes);
    } finally {
      write("monitors/api.ts", monitorFile("*/5 * * * *"));
    }
  });

  test("a usage error exits 2, never 4", async () => {
    const unknownFlag = await wk(["plan", "--project", dir, "--bogus-flag"]);
    expect(unknownFlag.code).toBe(EXIT.usage);
    expect(unknownFlag.stderr).toContain("bogus-flag");
    const conflicting = await wk(["plan", "--project", dir, "--base", "main", "--base-manifest", "x.json", "--detailed-exitcode"]);
    expect(conflicting.code).toBe(EXIT.usage);
  });

  test("a pull request whose modules crash, exit or do not compile never reads as changes present", async () => {
    const cases: Record<string, string> = {
      "throws at load": `throw new Error("boom");\n`,
      "exits 0 at load": `process.exit(0);\n`,
      "exits 4 at load": `process.exit(4);\n`,
      "exits 4 from an exit hook": `process.on("exit", () => process.exit(4));\n`,
      "syntax error": `export const = ;\n`,
    };
    for (const [name, source] of Object.entries(cases)) {
      write("monitors/evil.ts", `${monitorFile("* * * * *").replace(/apiUp|api-up/g, (m) => (m === "apiUp" ? "evil" : "evil-up"))}${source}`);
      try {
        const result = await plan();
        expect({ name, code: result.code }).toEqual({ name, code: EXIT.findings });
        expect(result.stderr).toContain("monitors/evil.ts");
      } finally {
        rmSync(join(dir, "monitors/evil.ts"));
      }
    }
  });

  test("a stray rejection during a command is an internal error (3), not Node's default 1 or changes present", async () => {
    const script = `import(${JSON.stringify(join(ROOT, "build/cli/main.js"))}).then((cli) => { setTimeout(() => Promise.reject(new Error("stray")), 0); return cli.main(["plan", "--project", ${JSON.stringify(dir)}, "--base", "main", "--detailed-exitcode"]); });`;
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, WK_PLAN_CACHE: "off" } });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(EXIT.internal);
    expect(result.stderr).toContain("internal error");
  });

  test("reportError maps user errors to their code and anything else to internal", () => {
    const lines: string[] = [];
    expect(reportError(new UserError("bad flag"), (l) => lines.push(l))).toBe(EXIT.usage);
    expect(reportError(new UserError("locked", EXIT.findings, "stop the other runtime"), (l) => lines.push(l))).toBe(EXIT.findings);
    expect(reportError(new TypeError("bug"), (l) => lines.push(l))).toBe(EXIT.internal);
    expect(lines.join("")).toContain("hint: stop the other runtime");
  });
});
