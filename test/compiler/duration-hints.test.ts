import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A duration written the way people say it is answered with the spelling Watchkeeper reads. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "durations", secrets: [] });\n`;

describe("a mistyped duration", () => {
  it("a unit word the editor refuses (5min) gets the duration meant in its hint", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";\n\nexport const m = monitor({ id: "m", schedule: { every: "5min" }, check: check.tcp({ host: "db.internal", port: 5432 }) });\n`,
    });
    const d = result.diagnostics.find((x) => x.code === "TS2322");
    expect(d).toMatchObject({ file: "monitors/m.ts", line: 3 });
    expect(d!.hint).toMatch(/^did you mean "5m"\?/);
  });

  it("a compound duration (1h30m, as Go and Prometheus write it) gets the one-unit duration meant in its hint", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";\n\nexport const m = monitor({ id: "m", schedule: { every: "1h30m" }, check: check.tcp({ host: "db.internal", port: 5432 }), for: "2m30s" });\n`,
    });
    const hints = result.diagnostics.filter((x) => x.code === "TS2322").map((d) => d.hint);
    expect(hints).toEqual([
      'did you mean "90m"? (a duration is one number and one unit: "1h30m" is not read; "250ms", "90s", "5m", "4h", "14d", "1w")',
      'did you mean "150s"? (a duration is one number and one unit: "2m30s" is not read; "250ms", "90s", "5m", "4h", "14d", "1w")',
    ]);
  });

  it("a space the editor lets through (2 m) is a schema error at the property, with the duration meant", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({
  id: "m",
  schedule: { every: "1m" },
  check: check.tcp({ host: "db.internal", port: 5432 }),
  for: "2 m",
});
`,
    });
    const d = result.diagnostics.find((x) => x.code === "WK3001");
    expect(d).toMatchObject({ file: "monitors/m.ts", line: 7, column: 3 });
    expect(d!.hint).toMatch(/^did you mean "2m"\?/);
  });

  it("a value that reads as no duration at all says how one is written, and a negative one that durations are never negative", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({ id: "m", schedule: { every: "1m" }, check: check.tcp({ host: "db.internal", port: 5432 }), for: "-5m" as any, keepFiringFor: "soon" as any });
`,
    });
    const hints = result.diagnostics.filter((x) => x.code === "WK3001").map((d) => d.hint);
    expect(hints).toContain('durations are never negative; write a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"');
    expect(hints).toContain('write a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"');
  });
});
