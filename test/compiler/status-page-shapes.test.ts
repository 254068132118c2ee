import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A status page's fields of the wrong type are named at their line, not as a crash of synthesis. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "pages", secrets: [] });\n`;

describe("a status page made in a module with values forced past the types", () => {
  it("names the field, what it holds and what it takes, at the field's line, for every page at once", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor, statusPage } from "watchkeeper";

export const site = monitor({ id: "site", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }) });
export const one = statusPage({ id: "one", title: 5 as any, groups: [{ name: "Core", monitors: site as any }] });
export const two = statusPage({
  id: "two",
  groups: "site" as any,
});
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.map((d) => `${d.code} ${d.file}:${d.line} ${d.message}`);
    expect(found).toContain('WK3001 monitors/site.ts:4 status page "one" title: Invalid input: expected string, received number');
    expect(found).toContain('WK3001 monitors/site.ts:4 status page "one" groups.0.monitors: Invalid input: expected array, received object');
    expect(found).toContain('WK3001 monitors/site.ts:7 status page "two" groups: Invalid input: expected array, received string');
    expect(result.diagnostics.filter((d) => d.code === "WK4001")).toEqual([]);
    for (const d of result.diagnostics.filter((x) => x.code === "WK3001")) expect(d.hint).toMatch(/as any/);
  });
});
