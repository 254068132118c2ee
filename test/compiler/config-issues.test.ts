import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A mistyped config field is named at its own place, with the spelling meant. */
const compile = tempProjects();

const MONITOR = `import { check, monitor } from "watchkeeper";\n\nexport const m = monitor({ id: "m", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }) });\n`;

describe("watchkeeper.config.ts field problems", () => {
  it("an unknown field and a bad enum value are each named at their line and column with the nearest valid one, all at once", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";

export default config({
  name: "typos",
  secretz: ["API_TOKEN"],
  defaults: { timezon: "Europe/Berlin", severity: "urgent" },
  rules: { "valid-schedules": "warn" },
} as any);
`,
      "monitors/m.ts": MONITOR,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.code === "WK1002");
    const about = (field: string) => found.find((d) => d.message.startsWith(`config ${field}:`));
    expect(about("secretz")).toMatchObject({ severity: "error", file: "watchkeeper.config.ts", line: 5, column: 3 });
    expect(about("secretz")!.hint).toBe('did you mean "secrets"?');
    expect(about("defaults.timezon")).toMatchObject({ line: 6, column: 15 });
    expect(about("defaults.timezon")!.hint).toBe('did you mean "timezone"?');
    expect(about("defaults.severity")).toMatchObject({ line: 6, column: 41 });
    expect(about("defaults.severity")!.message).toMatch(/"urgent" is not one of "critical", "error", "warning", "info"/);
    expect(about("rules.valid-schedules")).toMatchObject({ line: 7, column: 12 });
    expect(about("rules.valid-schedules")!.hint).toBe('did you mean "warning"?');
    expect(found).toHaveLength(4);
  });

  it("an unknown rule name in rules is told the rule meant, at its own line", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "rules",\n  rules: {\n    "declared-secret": "off",\n  },\n});\n`,
      "monitors/m.ts": MONITOR,
    });
    const d = result.diagnostics.find((x) => x.code === "WK1005");
    expect(d?.hint).toMatch(/^did you mean "declared-secrets"\?/);
    expect(d).toMatchObject({ file: "watchkeeper.config.ts", line: 6 });
  });

  it("a single string where the config takes a list is told to make it a list of that string", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "lists", secrets: "API_TOKEN" as any });\n`,
      "monitors/m.ts": MONITOR,
    });
    const d = result.diagnostics.find((x) => x.code === "WK1002");
    expect(d).toMatchObject({ file: "watchkeeper.config.ts", line: 3 });
    expect(d!.message).toBe('config secrets: expected array, got the string "API_TOKEN"');
    expect(d!.hint).toBe('make it a list: secrets: ["API_TOKEN"]');
  });
});
