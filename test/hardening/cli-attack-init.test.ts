import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, wk } from "../gitops/cli-process.js";

let scratch = "";
beforeAll(() => {
  ensureBuild();
  scratch = realpathSync(mkdtempSync(join(tmpdir(), "wk-init-attack-")));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The `cd` line of `wk init`'s "next:" steps, run in bash from where wk init ran: the folder it lands in. */
function runCdLine(stdout: string, cwd: string): string {
  const line = stdout.split("\n").find((l) => l.trim().startsWith("cd "));
  expect(line, stdout).toBeDefined();
  return execFileSync("bash", ["-c", `${line!.trim()} && pwd -P`], { cwd, encoding: "utf8" }).trim();
}

describe("wk init into a folder whose name a shell reads otherwise", () => {
  it.each([
    ["spaces", "my monitors"],
    ["a command substitution", "ops $(touch pwned) `touch pwned2`"],
    ["quotes and a glob", "it's \"ours\" *"],
    ["a leading dash", "-team"],
  ])("with %s, the printed `cd` step enters the new project and runs nothing else", async (_what, name) => {
    const ran = await wk(["init", `./${name}`], { cwd: scratch });
    expect(ran.code, ran.stderr).toBe(0);
    expect(runCdLine(ran.stdout, scratch)).toBe(join(scratch, name));
    expect(existsSync(join(scratch, "pwned"))).toBe(false);
    expect(existsSync(join(scratch, "pwned2"))).toBe(false);
  });

  it("with terminal escapes and invisible characters, prints them spelled out and still gives a working `cd` step", async () => {
    const name = "esc\u001b[31mred\u200bzero\u202eevil";
    const ran = await wk(["init", name], { cwd: scratch });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toMatch(/[\u001b\u200b\u202e]/);
    expect(ran.stdout).toContain("\\u001b[31mred\\u200bzero\\u202eevil");
    expect(runCdLine(ran.stdout, scratch)).toBe(join(scratch, name));
  });

  it("a plain name stays as it is", async () => {
    const ran = await wk(["init", "plain-name"], { cwd: scratch });
    expect(ran.stdout).toContain("created a watchkeeper project in plain-name\n");
    expect(ran.stdout).toContain("  cd plain-name\n");
  });
});

describe("words after `--`", () => {
  it("wk init --force -- DIR refuses (exit 2) instead of writing the template over the current folder", async () => {
    const cwd = join(scratch, "their-app");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "package.json"), '{ "name": "their-app" }\n');
    const ran = await wk(["init", "--force", "--", "new-project"], { cwd });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^error: "new-project" after `--` is not read by any argument\nhint: leave out `--`/);
    expect(readdirSync(cwd)).toEqual(["package.json"]);
    expect(readFileSync(join(cwd, "package.json"), "utf8")).toBe('{ "name": "their-app" }\n');
  });

  it("wk test -- ID refuses (exit 2) instead of listing the monitors as if no id were given", async () => {
    const ran = await wk(["test", "--project", scratch, "--", "-x"], { cwd: scratch });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("hint: leave out `--`; name a path that starts with a dash as ./-x");
  });
});

describe("refusals that quote what they were given", () => {
  it("spell out the terminal escapes of an argument instead of sending them to the terminal", async () => {
    const project = join(scratch, "escapes-project");
    mkdirSync(project);
    writeFileSync(join(project, "watchkeeper.config.ts"), 'import { config } from "watchkeeper";\n\nexport default config({ name: "p" });\n');
    writeFileSync(join(scratch, "rules.yml"), "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n");
    const ran = await wk(["import", "prometheus", "rules.yml", "--project", project, "--service", "x\u001b[2K\u001b[1A\u202e"], { cwd: scratch });
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.stderr).toContain('error: unknown service "x\\u001b[2K\\u001b[1A\\u202e"');
    expect(ran.stderr).not.toMatch(/[\u001b\u202e]/);
  });
});
