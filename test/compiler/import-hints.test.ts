import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/**
 * An import that does not resolve gets a hint for what was imported. A package that is not
 * installed used to be told "relative imports need an extension", which sends the author the wrong
 * way: a package needs installing.
 */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\nexport default config({ name: "imports" });\n`;

describe("hints for imports that do not resolve", () => {
  it("tells a package that is not installed to install it, by its package name, in the type check and in the bundle", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";\nimport { pad } from "@acme/not-installed/pad";\n\nexport const site = monitor({ id: pad("site"), schedule: { every: "1m" }, check: check.http({ url: "https://example.com" }) });\n`,
    });
    const unresolved = result.diagnostics.filter((d) => d.code === "TS2307" || d.code === "WK2005");
    expect(unresolved.length, JSON.stringify(result.diagnostics)).toBeGreaterThan(0);
    for (const d of unresolved) {
      expect(d).toMatchObject({ file: "monitors/site.ts", line: 2 });
      expect(d.hint).toContain("npm install @acme/not-installed");
      expect(d.hint).not.toMatch(/extension/);
    }
    expect(unresolved.map((d) => d.code)).toContain("TS2307");
  });

  it("tells a relative path to check the file (or its extension), never to install a package", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";\nimport { url } from "./endpoints.js";\n\nexport const site = monitor({ id: "site", schedule: { every: "1m" }, check: check.http({ url }) });\n`,
    });
    const d = result.diagnostics.find((x) => x.code === "TS2307");
    expect(d, JSON.stringify(result.diagnostics)).toBeDefined();
    expect(d!.hint).toMatch(/no file at this path/);
    expect(d!.hint).not.toMatch(/npm install/);
  });

  it("names the file meant when the path differs only in case (macOS and Windows would find it, Linux CI does not) or is a near spelling", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `export const team = "payments";\n`,
      "monitors/endpoints.ts": `export const url = "https://example.com";\n`,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";\nimport { team } from "../Policies/OnCall.js";\nimport { url } from "./endpoint.js";\n\nexport const site = monitor({ id: "site", schedule: { every: "1m" }, check: check.http({ url }), labels: { team } });\n`,
    });
    const unresolved = result.diagnostics.filter((d) => d.code === "TS2307");
    expect(unresolved.map((d) => [d.line, d.hint])).toEqual([
      [2, 'did you mean "../policies/oncall.js"? The case differs: macOS and Windows find the file anyway, Linux (and CI) does not'],
      [3, 'did you mean "./endpoints.js"? No file is at this path'],
    ]);
  });
});
