import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A module that cannot load does not hide what is wrong with the modules that can. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "broken-modules", secrets: [] });\n`;

describe("a module that throws or exports the wrong thing", () => {
  it("is reported, and the other modules are still validated in the same run, with nothing written", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/throws.ts": `import { check, monitor } from "watchkeeper";

const endpoints: Record<string, { url: string }> = {};

export const api = monitor({ id: "api-up", schedule: "* * * * *", check: check.http({ url: endpoints["api"]!.url }) });
`,
      "monitors/wrong.ts": `import { check, monitor } from "watchkeeper";

export const healthCheck = check.http({ url: "https://www.example.com/health" });
export const nightly = monitor({ id: "nightly", schedule: "0 61 2 * *", check: healthCheck });
`,
      "monitors/db.ts": `import { check, monitor } from "watchkeeper";

export const db = monitor({ id: "db", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), severity: "critical" });
export const web = monitor({ id: "Web Up", schedule: "*/5 * * * *", check: check.http({ url: "https://www.example.com" }) });
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}`);
    // The load problems, each at its line with a hint.
    expect(found).toContain("WK2001 monitors/throws.ts:5");
    expect(found).toContain("WK2003 monitors/wrong.ts:3");
    for (const d of result.diagnostics.filter((x) => x.code === "WK2001" || x.code === "WK2003")) expect(d.hint).toBeTruthy();
    // And what the modules that loaded get wrong: a rule finding in the module with the wrong
    // export, a rule finding and a schema finding in a module that is fine to load.
    expect(found).toContain("valid-schedules monitors/wrong.ts:4");
    expect(found).toContain("critical-routes-to-service monitors/db.ts:3");
    expect(found).toContain("WK3001 monitors/db.ts:4");
    // Nothing made in the module that threw is called "not exported".
    expect(result.diagnostics.filter((d) => d.code === "WK2008")).toEqual([]);
  });
});
