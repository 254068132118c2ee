import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A module the default globs do not load is named, so its monitors do not vanish without a word. */
const compile = tempProjects();

const MONITOR = `import { check, monitor } from "watchkeeper";\n\nexport const m = monitor({ id: "m", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }) });\n`;

describe("modules the default globs skip", () => {
  it("a .js or .mts file under monitors/ or policies/ is a warning that names it and the .ts name to give it", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "skipped" });\n`,
      "monitors/m.ts": MONITOR,
      "monitors/api.js": "export const x = 1;\n",
      "policies/people.mts": "export const y = 1;\n",
    });
    const found = result.diagnostics.filter((d) => d.code === "WK1006");
    expect(found.map((d) => [d.file, d.severity])).toEqual([
      ["monitors/api.js", "warning"],
      ["policies/people.mts", "warning"],
    ]);
    expect(found[0]!.hint).toMatch(/^rename it to monitors\/api\.ts/);
    expect(result.ok).toBe(true);
  });

  it("a config that sets its own globs has chosen what is loaded, and is not warned", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "chosen", monitors: ["monitors/**/*.ts"], policies: [] });\n`,
      "monitors/m.ts": MONITOR,
      "monitors/api.js": "export const x = 1;\n",
    });
    expect(result.diagnostics.filter((d) => d.code === "WK1006")).toEqual([]);
  });
});
