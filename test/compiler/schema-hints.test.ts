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
});
