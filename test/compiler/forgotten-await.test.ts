import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** An author who forgets `await` is told to await, not to change the value's type. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "await", secrets: [] });\n`;

describe("a forgotten await", () => {
  it("a module that exports an async function's result is an error at the export that says to await it", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/made.ts": `import { check, monitor } from "watchkeeper";

async function makeMonitor() {
  return monitor({ id: "made", schedule: "*/5 * * * *", check: check.http({ url: "https://a.example.com" }) });
}

export const made = makeMonitor();
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const d = result.diagnostics.find((x) => x.code === "WK2003");
    expect(d).toMatchObject({ severity: "error", file: "monitors/made.ts", line: 7 });
    expect(d!.message).toMatch(/`made` is a Promise/);
    expect(d!.hint).toMatch(/export const made = await /);
  });

  it("a props value that is a Promise is a type error whose hint says to await it", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/url.ts": `import { check, monitor } from "watchkeeper";

async function lookupUrl(): Promise<string> {
  return "https://a.example.com";
}

export const site = monitor({ id: "site", schedule: "*/5 * * * *", check: check.http({ url: lookupUrl() }) });
`,
    });
    const d = result.diagnostics.find((x) => x.code === "TS2322");
    expect(d).toMatchObject({ severity: "error", file: "monitors/url.ts", line: 7 });
    expect(d!.hint).toMatch(/is a Promise.*`await` it/);
  });
});
