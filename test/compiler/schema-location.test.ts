import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/**
 * A schema error points at the property to change, not only at the construct: an editor (and
 * a CI annotation) lands on the value the author has to fix.
 */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "located", secrets: [] });\n`;

describe("where a schema error points", () => {
  it("at the property's own line and column, through nested objects, factory calls and array elements", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor, schedule, user } from "watchkeeper";

export const site = monitor({
  id: "site",
  schedule: {
    every: ("5 minutes" as any),
  },
  check: check.http({
    url: "https://site.example.com",
    timeout: ("ten seconds" as any),
  }),
});

const ana = user({ id: "ana", name: "Ana", email: "ana@example.com" });
export const rota = schedule({
  id: "rota",
  timeZone: "Europe/Berlin",
  layers: [
    { start: "2026-01-05T09:00:00", rotation: "1w", users: [ana] },
    { start: "2026-01-05T09:00:00", rotation: ("one week" as any), users: [ana] },
  ],
});
`,
    });
    const schema = result.diagnostics.filter((d) => d.code === "WK3001");
    const about = (text: string) => schema.find((d) => d.message.includes(text));
    expect(about("schedule.every"), JSON.stringify(schema, null, 2)).toMatchObject({ file: "monitors/site.ts", line: 6, column: 5 });
    expect(about("check.timeout")).toMatchObject({ file: "monitors/site.ts", line: 10, column: 5 });
    expect(about("layers.1.rotationTurnLength")).toMatchObject({ file: "monitors/site.ts", line: 20, column: 37 });
  });

  it("at the construct when the value was built elsewhere, so the place is never a wrong one", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/shared.ts": `import { check, monitor } from "watchkeeper";

const every = (["5 minutes"] as any[])[0];
const props = { id: "shared", schedule: { every }, check: check.tcp({ host: "db.internal", port: 5432 }) };

export const shared = monitor(props);
`,
    });
    const d = result.diagnostics.find((x) => x.code === "WK3001");
    expect(d).toMatchObject({ file: "monitors/shared.ts", line: 6, column: 23 });
  });
});
