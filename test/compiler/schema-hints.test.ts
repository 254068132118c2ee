import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A schema error's hint says how the value got there only when that is how it got there. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "hints", secrets: [] });\n`;

describe("the hint of a schema error", () => {
  it("does not blame `as any` for a value the types allow, and names it for a value only a forced type lets through", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";

export const stuck = monitor({ id: "stuck", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), successThreshold: 1e12 });
export const forced = monitor({ id: "forced", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), failureThreshold: "3" as any });
`,
    });
    const about = (id: string) => result.diagnostics.find((d) => d.code === "WK3001" && d.message.startsWith(`monitor "${id}"`));
    expect(about("stuck")).toMatchObject({ file: "monitors/site.ts", line: 3 });
    expect(about("stuck")!.hint).not.toMatch(/as any/);
    expect(about("stuck")!.hint).toMatch(/types cannot check/);
    expect(about("forced")).toMatchObject({ file: "monitors/site.ts", line: 4 });
    expect(about("forced")!.hint).toMatch(/`as any`/);
  });

  it("a fraction where a whole number goes (failureThreshold: 2.5, which the types allow) is told to write a whole number, not blamed on a cast", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";

export const half = monitor({
  id: "half",
  schedule: "*/5 * * * *",
  check: check.tcp({ host: "db.internal", port: 5432 }),
  failureThreshold: 2.5,
});
`,
    });
    expect(wrote).toBe(false);
    const d = result.diagnostics.find((x) => x.code === "WK3001" && x.message.startsWith('monitor "half"'));
    expect(d).toMatchObject({ severity: "error", file: "monitors/site.ts", line: 7, column: 3 });
    expect(d!.message).toBe('monitor "half" failureThreshold: expected a whole number, got 2.5');
    expect(d!.hint).toBe("write a whole number, such as 2 or 3 (the SDK's types take any number here, so the compile checks it)");
  });
});
