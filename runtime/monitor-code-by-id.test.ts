import { describe, expect, it } from "vitest";
import { idSchema } from "../sdk/manifest/index.js";
import type { MonitorBundle } from "../sdk/result.js";
import { codeOf, findMissingExports } from "./artifact.js";
import { monitorsById } from "./monitors-by-id.js";
import { manifestOf, monitorSpec } from "../test/runtime/support/manifest.js";

// Monitor ids key the bundle (a plain object), the runtime's monitor index and the compiled
// entry. `constructor` is a valid kebab-case id; `__proto__`, `toString` and `hasOwnProperty` are not.

describe("a monitor id that names an Object.prototype member", () => {
  it("is refused by the id rule unless it is kebab-case, and constructor is kebab-case", () => {
    for (const id of ["__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) expect(idSchema.safeParse(id).success, id).toBe(false);
    expect(idSchema.safeParse("constructor").success).toBe(true);
  });

  it("gets no code from Object.prototype: a monitor called constructor without code has none", () => {
    const bundle: MonitorBundle = { other: { condition: () => true } };
    expect(codeOf(bundle, "constructor")).toBeUndefined();
    expect(codeOf(bundle, "to-string")).toBeUndefined();
    expect(codeOf(bundle, "other")).toBe(bundle["other"]);
  });

  it("gets its own code when it has some, and a missing export is named", () => {
    const run = async () => ({ ok: true, value: 1, message: "ran" });
    const withCode: MonitorBundle = JSON.parse('{"constructor": {}}') as MonitorBundle;
    withCode["constructor"] = { run };
    expect(codeOf(withCode, "constructor")?.run).toBe(run);
    const constructor = monitorSpec({ id: "constructor" });
    const needsCode = { ...constructor, code: { ...constructor.code, condition: true } };
    expect(findMissingExports([needsCode], {})).toEqual([{ monitorId: "constructor", export: "condition" }]);
  });

  it("is found in the runtime's monitor index only when the manifest has it", () => {
    const index = monitorsById(manifestOf([monitorSpec({ id: "site" })]));
    expect(index.get("constructor")).toBeUndefined();
    expect(monitorsById(manifestOf([monitorSpec({ id: "constructor" })])).get("constructor")?.id).toBe("constructor");
  });
});

describe("a project with a monitor called constructor, end to end", () => {
  it("compiles, and wk test runs the monitor's own script", async () => {
    const { mkdir, mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { vi } = await import("vitest");
    const { run: testCommand } = await import("../cli/commands/test.js");
    const dir = await mkdtemp(join(tmpdir(), "wk-constructor-"));
    try {
      await mkdir(join(dir, "monitors"), { recursive: true });
      await writeFile(join(dir, "package.json"), JSON.stringify({ name: "constructor-fixture", private: true, type: "module" }));
      await writeFile(join(dir, "watchkeeper.config.ts"), `import { config } from "watchkeeper";\nexport default config({ name: "constructor-fixture", monitors: ["monitors/**/*.ts"], secrets: [], defaults: { timezone: "UTC" } });\n`);
      await writeFile(
        join(dir, "monitors", "proto.ts"),
        `import { check, monitor } from "watchkeeper";
export const ctor = monitor({ id: "constructor", name: "Constructor", schedule: { every: "1m" }, severity: "warning",
  check: check.script({ run: async () => ({ ok: true, value: 7, message: "constructor's own script ran" }) }) });
`,
      );
      let out = "";
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
      try {
        expect(await testCommand({ monitors: ["constructor"], project: dir, json: true })).toBe(0);
      } finally {
        spy.mockRestore();
      }
      const report = JSON.parse(out) as { monitors: Array<{ id: string; error: string | null; series: Array<{ message: string; value: number }> }> };
      expect(report.monitors[0]).toMatchObject({ id: "constructor", error: null, series: [{ message: "constructor's own script ran", value: 7 }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
