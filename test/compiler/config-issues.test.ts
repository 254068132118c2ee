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

  it("a config without a name (a plain object exported) is told the name is missing and how to add it, not \"got undefined undefined\"", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `export default {\n  monitors: ["monitors/**/*.ts"],\n};\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(wrote).toBe(false);
    const d = result.diagnostics.find((x) => x.code === "WK1002");
    expect(d).toMatchObject({ file: "watchkeeper.config.ts", line: 1 });
    expect(d!.message).toBe("config name: is missing; the project needs a name");
    expect(d!.message).not.toContain("undefined");
    expect(d!.hint).toBe('add name: "my-project" (the plan and the pages show it); write the config as `export default config({ name: "my-project", ... })` (import { config } from "watchkeeper") so your editor lists its fields');
  });

  it("a declared secret name that is not an environment variable name is named once, at its own place in the list, with the name meant", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "secrets",\n  secrets: ["API_TOKEN", "pagerduty-routing-key",\n    " SPACE"],\n});\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(wrote).toBe(false);
    const about = result.diagnostics.filter((d) => d.message.includes("pagerduty-routing-key") || d.message.includes(" SPACE"));
    const rule = "(secret names are environment variable names: UPPER_SNAKE_CASE, at most 128 characters)";
    expect(about.map((d) => [d.severity, d.code, d.file, d.line, d.column, d.message, d.hint])).toEqual([
      ["error", "WK3001", "watchkeeper.config.ts", 5, 26, 'declared secret name "pagerduty-routing-key" is not an environment variable name', `write "PAGERDUTY_ROUTING_KEY" ${rule}`],
      ["error", "WK3001", "watchkeeper.config.ts", 6, 5, 'declared secret name " SPACE" is not an environment variable name', `write "SPACE" ${rule}`],
    ]);
  });

  it("a bad secret name cannot be let through by turning the declared-secrets rule off", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "off", secrets: ["api-token"], rules: { "declared-secrets": "off" } });\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    expect(result.diagnostics.filter((d) => d.message.includes('"api-token"'))).toHaveLength(1);
  });

  it("a module glob that reaches outside the project (../, an absolute path) is refused at its place before anything is listed, with the relative glob meant", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "globs",\n  monitors: ["monitors/**/*.ts", "../**/*.ts"],\n  policies: ["/policies/**/*.ts"],\n  tests: ["./tests/../../x/*.wktest.ts"],\n});\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    // Nothing outside the project was listed or loaded: the only findings are the globs'.
    expect(result.diagnostics.map((d) => [d.code, d.file, d.line, d.column, d.message, d.hint])).toEqual([
      ["WK1002", "watchkeeper.config.ts", 5, 34, 'config monitors.1: "../**/*.ts" reaches outside the project folder', "globs are relative to the project folder, and only its files are modules: write one such as \"monitors/**/*.ts\""],
      ["WK1002", "watchkeeper.config.ts", 6, 14, 'config policies.0: "/policies/**/*.ts" is an absolute path', 'globs are relative to the project folder: write "policies/**/*.ts"'],
      ["WK1002", "watchkeeper.config.ts", 7, 11, 'config tests.0: "./tests/../../x/*.wktest.ts" reaches outside the project folder', "globs are relative to the project folder, and only its files are modules: write one such as \"monitors/**/*.wktest.ts\""],
    ]);
  });

  it("a default time zone that does not exist is named at its place in the config, with the zone meant, even before a cron monitor uses it", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "zones",\n  defaults: { timezone: "Europe/Berln" },\n});\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(wrote).toBe(false);
    expect(result.diagnostics.map((d) => [d.code, d.file, d.line, d.column, d.message, d.hint])).toEqual([
      ["WK1002", "watchkeeper.config.ts", 5, 15, 'config defaults.timezone: unknown time zone "Europe/Berln"', 'did you mean "Europe/Berlin"? Time zones are IANA names'],
    ]);
  });

  it("a config value the manifest's schema refuses (publicUrl without a scheme, a retention past ten years) is placed at its field in the config", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "settings",\n  publicUrl: "wk.example.com/status",\n  runtime: { retention: { results: "4000d" } },\n});\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.code === "WK3001");
    expect(found.map((d) => [d.file, d.line, d.column, d.message.split(":")[0]])).toEqual([
      ["watchkeeper.config.ts", 5, 3, "settings.publicUrl"],
      ["watchkeeper.config.ts", 6, 27, "settings.runtime.retention.results"],
    ]);
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

  it("a runtime setting, a status page title or a default channel of the wrong type is named at its line with what was given and what is expected, all at once", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";

export default config({
  name: "types",
  runtime: { openReads: "yes", maxSilence: 14, retention: { results: ["48h"], inbound: "7 days" } },
  defaults: { channels: ["oncall-slack", 5] },
  statusPage: { title: 42 },
} as any);
`,
      "monitors/m.ts": MONITOR,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.code === "WK1002");
    const about = (field: string) => found.find((d) => d.message.startsWith(`config ${field}:`));
    expect(about("runtime.openReads")).toMatchObject({ severity: "error", file: "watchkeeper.config.ts", line: 5, column: 14 });
    expect(about("runtime.openReads")!.message).toBe('config runtime.openReads: expected boolean, got the string "yes"');
    expect(about("runtime.maxSilence")!.message).toBe('config runtime.maxSilence: expected a duration such as "30s", "10m" or "14d", got number 14');
    expect(about("runtime.maxSilence")!.hint).toMatch(/as a string/);
    expect(about("runtime.retention.results")!.message).toMatch(/expected a duration .*, got an array$/);
    expect(about("runtime.retention.inbound")!.message).toMatch(/expected a duration such as 90s, 5m or 4h, got the string "7 days"$/);
    expect(about("defaults.channels.0")).toMatchObject({ line: 6, column: 26 });
    expect(about("defaults.channels.0")!.message).toBe('config defaults.channels.0: expected a channel, got the string "oncall-slack"');
    expect(about("defaults.channels.0")!.hint).toMatch(/channel\.slack\(/);
    expect(about("defaults.channels.1")!.message).toBe("config defaults.channels.1: expected a channel, got number 5");
    expect(about("statusPage.title")).toMatchObject({ line: 7, column: 17 });
    expect(about("statusPage.title")!.message).toBe("config statusPage.title: expected string, got number 42");
    expect(found).toHaveLength(7);
    // Nothing reaches the load as a crash of the loader, nor as a manifest path without a place.
    expect(result.diagnostics.filter((d) => d.code !== "WK1002")).toEqual([]);
  });

  it("a number where the default channels list is expected is told to make it a list", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "lists", defaults: { channels: 5 } } as any);\n`,
      "monitors/m.ts": MONITOR,
    });
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: "WK1002", file: "watchkeeper.config.ts", line: 3, message: "config defaults.channels: expected array, got number 5" });
  });
});
