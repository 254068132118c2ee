import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** On-call policy mistakes a new author makes, each reported as a finding with its fix. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "careless", secrets: [] });\n`;

describe("on-call policies a careless author writes", () => {
  it("a schedule with no layers is an error at its line that says nobody is on call and shows a layer", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { schedule } from "watchkeeper";

export const empty = schedule({
  id: "empty-rota",
  timeZone: "Europe/Berlin",
  layers: [],
});
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const d = result.diagnostics.find((x) => x.code === "WK3001" && x.message.includes('"empty-rota"'));
    expect(d).toMatchObject({ severity: "error", file: "policies/oncall.ts", line: 3 });
    expect(d!.message).toMatch(/no layers, so nobody is ever on call/);
    expect(d!.hint).toMatch(/layers: \[\{ start: .*rotation: .*users: /);
  });
});
