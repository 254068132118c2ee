import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { copyFixture, NOW } from "../compiler/support.js";

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** The `ok` fixture with this config text; its compile's diagnostics. */
async function compileWithConfig(text: string) {
  const fixture = await copyFixture("ok");
  cleanups.push(fixture.cleanup);
  await writeFile(join(fixture.dir, "watchkeeper.config.ts"), text);
  return compileProject({ projectDir: fixture.dir, write: false, typecheck: false, now: NOW });
}

describe("a config whose default export is not a config object", () => {
  it.each([
    ["a number", "export default 42;\n", /a number/],
    ["a string", 'export default "fixture-ok";\n', /a string/],
    ["an array", 'import { config } from "watchkeeper";\n\nexport default [config({ name: "x" })];\n', /an array/],
    ["null", "// nothing yet\nexport default null;\n", /null/],
    ["a function", 'import { config } from "watchkeeper";\n\nexport default () => config({ name: "x" });\n', /a function/],
  ])("%s is named as what it is, at the export's line, not as 'received undefined'", async (_what, text, named) => {
    const result = await compileWithConfig(text);
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors).toHaveLength(1);
    const [d] = errors;
    expect(d!.message).toMatch(named);
    expect(d!.message).not.toMatch(/undefined/);
    expect(d!.file).toBe("watchkeeper.config.ts");
    expect(d!.line).toBe(text.split("\n").findIndex((l) => l.startsWith("export default")) + 1);
    expect(d!.hint).toMatch(/config\(\{/);
  });
});

describe("a config whose monitor globs match no file", () => {
  it("warns at the `monitors` line, naming the globs, even when policies still match (a typo would otherwise compile to a project without monitors)", async () => {
    const config = 'import { config } from "watchkeeper";\n\nexport default config({\n  name: "fixture-ok",\n  secrets: ["SLACK_WEBHOOK", "PAYMENTS_TOKEN"],\n  monitors: ["monitor/**/*.ts"],\n});\n';
    const result = await compileWithConfig(config);
    expect(result.manifest?.monitors ?? []).toHaveLength(0);
    const warning = result.diagnostics.find((d) => d.code === "WK1003");
    expect(warning, JSON.stringify(result.diagnostics, null, 2)).toBeDefined();
    expect(warning!.severity).toBe("warning");
    expect(warning!.message).toContain("monitor/**/*.ts");
    expect(warning!.file).toBe("watchkeeper.config.ts");
    expect(warning!.line).toBe(6);
  });

  it("says nothing when the monitor globs match", async () => {
    const result = await compileWithConfig('import { config } from "watchkeeper";\n\nexport default config({\n  name: "fixture-ok",\n  secrets: ["SLACK_WEBHOOK", "PAYMENTS_TOKEN"],\n  monitors: ["monitors/**/*.ts"],\n});\n');
    expect(result.diagnostics.filter((d) => d.code === "WK1003")).toEqual([]);
  });
});
