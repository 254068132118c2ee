import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTsconfig } from "../../cli/compiler/checker-options.js";
import { compileProject } from "../../cli/compiler/index.js";
import { locateNativeTsc, parseTscOutput, tscThreads } from "../../cli/compiler/tsc-native.js";
import { NOW, ROOT } from "./support.js";

describe("TypeScript 7 output", () => {
  it("keeps file, line, column, code and the whole message chain", () => {
    const out = [
      "monitors/a (1).ts(3,3): error TS2345: Argument of type '(a: number) => number' is not assignable to parameter of type '(a: string) => number'.",
      "  Types of parameters 'a' and 'a' are incompatible.",
      "    Type 'string' is not assignable to type 'number'.",
      "error TS5023: Unknown compiler option 'nope'.",
      "",
    ].join("\n");
    expect(parseTscOutput(out, "/p")).toEqual([
      {
        category: "error",
        code: 2345,
        file: "/p/monitors/a (1).ts",
        line: 3,
        column: 3,
        message:
          "Argument of type '(a: number) => number' is not assignable to parameter of type '(a: string) => number'.   Types of parameters 'a' and 'a' are incompatible.     Type 'string' is not assignable to type 'number'.",
      },
      { category: "error", code: 5023, file: null, line: null, column: null, message: "Unknown compiler option 'nope'." },
    ]);
  });
});

// The editor runs the project's TypeScript 7 over the scaffold's tsconfig.json; `wk validate`
// runs watchkeeper's over its own options. Both must find the same errors at the same places.
describe("TypeScript 7's threads", () => {
  it("runs single-threaded on two cores or fewer, where its threads only take CPU from the rest of the compile", () => {
    expect(tscThreads(1)).toEqual(["--singleThreaded"]);
    expect(tscThreads(2)).toEqual(["--singleThreaded"]);
    expect(tscThreads(4)).toEqual([]);
  });

  it("accepts the flag and still reports errors single-threaded", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wk-tsc-threads-"));
    try {
      await writeFile(path.join(dir, "a.ts"), "export const n: number = 'x';\n");
      await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, files: ["a.ts"] }));
      const tsc = locateNativeTsc();
      const out = await new Promise<string>((resolve) => execFile(tsc.exe, ["--noEmit", ...tscThreads(1), "--pretty", "false", "-p", path.join(dir, "tsconfig.json")], { cwd: dir, encoding: "utf8" }, (_e, stdout) => resolve(stdout)));
      expect(parseTscOutput(out, dir)).toEqual([expect.objectContaining({ code: 2322, line: 1 })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the editor and wk validate agree", () => {
  let base: string;
  let project: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), "wk-ts7-agree-"));
    project = path.join(base, "project");
    await mkdir(path.join(project, "monitors"), { recursive: true });
    await mkdir(path.join(project, "node_modules"));
    await symlink(path.join(ROOT, "node_modules", "@types"), path.join(project, "node_modules", "@types"));
    await symlink(ROOT, path.join(project, "node_modules", "watchkeeper"));
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "agree", private: true, type: "module" }));
    await writeFile(path.join(project, "tsconfig.json"), renderTsconfig());
    await writeFile(path.join(project, "watchkeeper.config.ts"), 'import { config } from "watchkeeper";\n\nexport default config({ name: "agree" });\n');
    await writeFile(
      path.join(project, "monitors", "api.ts"),
      [
        'import { check, monitor } from "watchkeeper";',
        'import { missing } from "./nowhere.js";',
        "",
        "export const api = monitor({",
        '  id: "api",',
        '  schedule: { every: "1m" },',
        '  check: check.http({ url: "https://api.example.com/health" }),',
        '  severity: "urgent",',
        "});",
        "export const n: number = missing ? process.env.HOME : 0;",
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("reports the same TypeScript errors at the same file:line:col", { timeout: 240_000 }, async () => {
    const editor = await new Promise<string>((resolve) => {
      execFile(locateNativeTsc().exe, ["-p", "tsconfig.json", "--pretty", "false"], { cwd: project }, (_error, stdout) => resolve(stdout));
    });
    const fromEditor = parseTscOutput(editor, project).map((d) => `${path.relative(project, d.file!)}:${d.line}:${d.column} TS${d.code} ${d.message}`);
    const result = await compileProject({ projectDir: project, write: false, now: NOW, cache: false });
    const fromWk = result.diagnostics.filter((d) => d.code.startsWith("TS")).map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
    expect(fromEditor.length).toBeGreaterThanOrEqual(3);
    expect(fromWk.sort()).toEqual(fromEditor.sort());
  });
});
