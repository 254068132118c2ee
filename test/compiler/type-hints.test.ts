import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** A value outside a small set of literals is answered with the set, and the one meant. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "literals", secrets: [] });\n`;

describe("a value that is not one of the accepted literals", () => {
  it("names the values a severity or onError takes, with the nearest, and a wrong case follows TypeScript's suggestion", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({
  id: "m",
  schedule: { every: "5m" },
  check: check.http({ url: "https://a.example.com", method: "get" }),
  severity: "warn",
  onError: "ignore",
});
`,
    });
    const at = (line: number) => result.diagnostics.find((d) => d.file === "monitors/m.ts" && d.line === line);
    expect(at(7)!.hint).toBe('did you mean "warning"? It takes "critical", "error", "warning", "info"');
    expect(at(8)!.hint).toBe('use one of "fail", "unknown"');
    expect(at(6)).toMatchObject({ code: "TS2820" });
    expect(at(6)!.hint).toMatch(/spelling the message suggests/);
  });

  it("an id written where a definition is expected says to import the definition and pass it", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({
  id: "m",
  schedule: { every: "5m" },
  check: check.http({ url: "https://a.example.com" }),
  service: "payments-api",
});
`,
    });
    const d = result.diagnostics.find((x) => x.file === "monitors/m.ts" && x.line === 7);
    expect(d?.code).toBe("TS2322");
    expect(d!.hint).toBe("references are the definitions themselves, not their ids: import the service from the module that exports it and pass it (service: checkoutPayments)");
  });
});

describe("a misspelled property", () => {
  it("names the property TypeScript suggests, and the nearest check kind when TypeScript has none", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({
  id: "m",
  schedule: { every: "5m" },
  check: check.http({ url: "https://a.example.com", expect: { statuss: 200 } }),
  serivce: undefined,
});

export const n = monitor({
  id: "n",
  schedule: { every: "5m" },
  check: check.htpp({ url: "https://a.example.com" }),
});
`,
    });
    const at = (line: number) => result.diagnostics.find((d) => d.file === "monitors/m.ts" && d.line === line);
    expect(at(6)).toMatchObject({ code: "TS2561" });
    expect(at(6)!.hint).toMatch(/^did you mean `status`\?/);
    expect(at(7)!.hint).toMatch(/^did you mean `service`\?/);
    expect(at(13)).toMatchObject({ code: "TS2339" });
    expect(at(13)!.hint).toBe("did you mean `http`? The available ones are http, httpWindow, prometheus, dns, tcp, heartbeat, webhook, script, manual");
  });
});

describe("a comparison written backwards", () => {
  it("suggests the operator meant: => is >=", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/m.ts": `import { check, monitor } from "watchkeeper";

export const m = monitor({
  id: "m",
  schedule: { every: "5m" },
  check: check.http({ url: "https://a.example.com" }),
  threshold: { op: "=>", value: 500 },
});
`,
    });
    const d = result.diagnostics.find((x) => x.file === "monitors/m.ts" && x.line === 7);
    expect(d!.hint).toMatch(/^did you mean ">="\?/);
  });
});
