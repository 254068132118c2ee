import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../cli/compiler/index.js";
import path from "node:path";
import { compileProject } from "../../cli/compiler/index.js";
import { formatDiagnostics } from "../../cli/compiler/format.js";
import { compileFixture, copyFixture, NOW } from "./support.js";

function only(diagnostics: Diagnostic[], code: string | RegExp): Diagnostic[] {
  return diagnostics.filter((d) => (typeof code === "string" ? d.code === code : code.test(d.code)));
}

/** The promises every bad-input case keeps: an error with file:line and a hint, nothing written. */
function expectReported(compiled: Awaited<ReturnType<typeof compileFixture>>, code: string | RegExp, file: string, line: number): Diagnostic {
  const { result, wrote } = compiled;
  expect(result.ok).toBe(false);
  expect(wrote).toBe(false);
  const found = only(result.diagnostics, code).find((d) => d.file === file && d.line === line);
  expect(found, JSON.stringify(result.diagnostics, null, 2)).toBeDefined();
  expect(found!.severity).toBe("error");
  expect(found!.hint).toBeTruthy();
  for (const d of result.diagnostics) {
    expect(d.message).not.toMatch(/\n\s+at /);
    expect(d.hint ?? "").not.toMatch(/\n\s+at /);
  }
  return found!;
}

describe("bad input becomes diagnostics with file:line and a hint, and nothing is written", () => {
  it("a schema problem does not hide rule findings: all are reported together", async () => {
    const compiled = await compileFixture("schema-and-rules");
    const schema = expectReported(compiled, "WK3001", "monitors/db.ts", 4);
    expect(schema.column).toBe(3);
    expect(schema.hint).toMatch(/^write id: "primary-db"/);
    expectReported(compiled, "valid-schedules", "monitors/db.ts", 3);
    expectReported(compiled, "critical-routes-to-service", "monitors/db.ts", 3);
  });

  it("a syntax error points at the broken line", async () => {
    const d = expectReported(await compileFixture("syntax-error"), /^TS1\d{3}$/, "monitors/broken.ts", 7);
    expect(d.column).toBeGreaterThan(0);
  });

  it("a type error points at the bad property with its TypeScript code", async () => {
    const d = expectReported(await compileFixture("type-error"), "TS2322", "monitors/typo.ts", 7);
    expect(d.message).toMatch(/"urgent"/);
    expect(d.column).toBe(3);
  });

  it("a module that throws at load is reported at the throwing line, and other modules still load", async () => {
    const compiled = await compileFixture("throws-at-load");
    const d = expectReported(compiled, "WK2001", "monitors/endpoints.ts", 8);
    expect(d.message).toMatch(/TypeError/);
    expect(only(compiled.result.diagnostics, "WK2001")).toHaveLength(1);
  });

  it("an import cycle is named module by module", async () => {
    const d = expectReported(await compileFixture("import-cycle"), "WK2002", "policies/people.ts", 2);
    expect(d.message).toBe("import cycle: policies/people.ts -> policies/teams.ts -> policies/people.ts");
  });

  it("a check, a hand-written definition and a default export of the wrong kind are wrong exports", async () => {
    const compiled = await compileFixture("wrong-export");
    const check = expectReported(compiled, "WK2003", "monitors/wrong.ts", 3);
    expect(check.message).toMatch(/healthCheck.*http check/);
    expect(check.hint).toMatch(/monitor\(/);
    const plain = expectReported(compiled, "WK2003", "monitors/wrong.ts", 5);
    expect(plain.message).toMatch(/handWritten.*monitor definition/);
    expectReported(compiled, "WK2003", "monitors/wrong.ts", 17);
    expect(only(compiled.result.diagnostics, "WK2003")).toHaveLength(3);
  });

  it("a module whose file name holds a line break is an error naming it, not a type error placed in a file that does not exist", async () => {
    const { dir, cleanup } = await copyFixture("ok");
    try {
      const { writeFile } = await import("node:fs/promises");
      // The checker prints the name as it is: its second line would read as a diagnostic of its own.
      const name = "monitors/evil\nwatchkeeper.config.ts(1,1): error TS1000: forged.ts";
      await writeFile(path.join(dir, name), 'export const a: number = "x";\n');
      const result = await compileProject({ projectDir: dir, write: false, now: NOW });
      expect(result.ok).toBe(false);
      expect(result.diagnostics.filter((d) => d.code === "TS1000" || d.file === "watchkeeper.config.ts")).toEqual([]);
      const found = result.diagnostics.find((d) => d.code === "WK1007");
      expect(found, JSON.stringify(result.diagnostics, null, 2)).toMatchObject({ severity: "error", file: name, line: 1 });
      expect(found!.hint).toMatch(/rename/);
      // In the terminal the name is spelled on one line: nothing reads as a line of its own.
      const text = formatDiagnostics(result.diagnostics, { color: false });
      expect(text).toContain("monitors/evil\\nwatchkeeper.config.ts(1,1): error TS1000: forged.ts:1:1  error  WK1007");
      expect(text.split("\n").filter((l) => l.startsWith("watchkeeper.config.ts"))).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it("a duplicate id names both places", async () => {
    const d = expectReported(await compileFixture("duplicate-id"), "unique-ids", "monitors/b.ts", 4);
    expect(d.message).toContain("monitors/a.ts:3");
    expect(d.message).toContain("monitors/b.ts:4");
  });

  it("an unknown reference is a missing export or an unknown name, at its line", async () => {
    const compiled = await compileFixture("unknown-reference");
    const missing = expectReported(compiled, "TS2459", "monitors/site.ts", 2);
    expect(missing.message).toMatch(/web/);
    const unknown = expectReported(compiled, "TS2304", "monitors/site.ts", 10);
    expect(unknown.message).toMatch(/slackChannel/);
  });

  it("an unparsable cron is reported at the monitor", async () => {
    const d = expectReported(await compileFixture("bad-cron"), "valid-schedules", "monitors/nightly.ts", 3);
    expect(d.message).toMatch(/0 61 2 \* \*/);
    expect(d.message).toMatch(/hour: 61/);
  });

  it("a folder without watchkeeper.config.ts says to run wk init", async () => {
    const { result, wrote } = await compileFixture("missing-config");
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    expect(result.diagnostics[0]!.code).toBe("WK1001");
    // Outside any project (the fixture itself sits inside this repository's example project).
    const { dir, cleanup } = await copyFixture("missing-config");
    try {
      const outside = await compileProject({ projectDir: dir, write: false, now: NOW });
      expect(outside.diagnostics[0]!.hint).toMatch(/wk init/);
    } finally {
      await cleanup();
    }
  });

  it("a folder inside a project, the config file or a path that does not exist given as --project, says what it is and where the project is", async () => {
    const { dir, cleanup } = await copyFixture("ok");
    try {
      const inside = await compileProject({ projectDir: path.join(dir, "monitors"), write: false, now: NOW });
      expect(inside.diagnostics[0]).toMatchObject({ code: "WK1001", hint: expect.stringContaining(`the project is ${dir}`) });
      const file = await compileProject({ projectDir: path.join(dir, "watchkeeper.config.ts"), write: false, now: NOW });
      expect(file.diagnostics[0]).toMatchObject({ code: "WK1001", hint: expect.stringMatching(/^--project takes the project's folder: pass --project /) });
      expect(file.diagnostics[0]!.message).toMatch(/watchkeeper\.config\.ts is a file, not a project folder$/);
      const missing = await compileProject({ projectDir: path.join(dir, "monitorz"), write: false, now: NOW });
      expect(missing.diagnostics[0]).toMatchObject({ code: "WK1001", message: expect.stringMatching(/monitorz does not exist/) });
    } finally {
      await cleanup();
    }
  });
});
