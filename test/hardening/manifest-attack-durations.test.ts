import { describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS, parseManifest as parseAnyManifest, sealManifest, type CheckSpec, type Manifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * Durations at the extremes. A check timeout past Node's timer limit (24.8 days) used to compile
 * clean and then time every check out after 1 ms; a duration of Infinity milliseconds had the
 * shape of a duration. Both are refused at the definition's line, and in a hand-edited manifest.
 */
const compile = tempProjects();

const PROJECT = {
  "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "durations", runtime: { retention: { results: "100000d" } } });\n`,
  "monitors/slow.ts": `import { check, monitor } from "watchkeeper";

export const month = monitor({ id: "month", schedule: { every: "1h" }, check: check.script({ timeout: "30d", run: async () => ({ ok: true, value: 1, message: "ok" }) }) });

export const hangs = monitor({ id: "hangs", schedule: { every: "10s" }, check: check.http({ url: "http://10.0.0.1/", timeout: "1m" }) });

export const typo = monitor({ id: "typo", schedule: { every: "NaNs" as never }, check: check.http({ url: "http://10.0.0.1/", timeout: "-5s" as never }) });

export const stuck = monitor({ id: "stuck", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/" }), successThreshold: 1e12 });

export const fine = monitor({ id: "fine", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/", timeout: "30s" }) });
`,
};

const http = (timeout: string): CheckSpec => ({ ...(monitorSpec({ id: "x" }).check as Extract<CheckSpec, { kind: "http" }>), timeout });
const parsed = (m: Manifest) => parseManifest(JSON.parse(JSON.stringify(m)));

describe("durations at the extremes", () => {
  it("a check timeout over 1d and a retention over ten years are refused at their lines; a timeout longer than the interval is a warning", async () => {
    const { result, wrote } = await compile(PROJECT);
    expect(wrote).toBe(false);
    const month = result.diagnostics.find((d) => d.message.includes('monitor "month" check.timeout'));
    expect(month).toMatchObject({ severity: "error", code: "WK3001", file: "monitors/slow.ts", line: 3 });
    expect(month!.message).toContain("a check timeout is at most 1d");
    const retention = result.diagnostics.find((d) => d.message.includes("settings.runtime.retention.results"));
    expect(retention?.message).toContain("durations are at most 3650d");
    const hangs = result.diagnostics.filter((d) => d.message.includes('monitor "hangs"'));
    expect(hangs).toHaveLength(1);
    expect(hangs[0]).toMatchObject({ severity: "warning", code: "valid-schedules", file: "monitors/slow.ts", line: 5 });
    expect(hangs[0]!.message).toContain('check timeout "1m" is longer than every "10s"');
    expect(result.diagnostics.filter((d) => d.message.includes('"fine"'))).toEqual([]);
    // A value that is not a duration is reported once, by what it is, not also as "shorter than 1s".
    const typo = result.diagnostics.filter((d) => d.message.includes('monitor "typo"'));
    expect(typo.map((d) => d.message).sort()).toEqual([
      'monitor "typo" check.timeout: expected a duration such as 90s, 5m or 4h',
      'monitor "typo" schedule.every: expected a duration such as 90s, 5m or 4h',
    ]);
    expect(result.diagnostics.find((d) => d.message.includes('monitor "stuck" successThreshold'))).toMatchObject({ file: "monitors/slow.ts", line: 9 });
    expect(result.diagnostics.find((d) => d.message.includes('monitor "stuck"'))!.message).toContain("never resolves");
  }, 60_000);

  it.each(["30d", "25d", "2w"])("a hand-edited manifest with a check timeout of %s is refused before any check times out at once", (timeout) => {
    const result = parsed(manifestOf([monitorSpec({ id: "site", check: http(timeout) })]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain("monitors.0.check.timeout: a check timeout is at most 1d");
  });

  it.each([
    ["Infinity ms", `1${"0".repeat(400)}s`],
    ["1e20 weeks", "99999999999999999999w"],
    ["ten years and a day", "3651d"],
  ])("a duration of %s is refused", (_what, every) => {
    const result = parsed(manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every } })]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain("monitors.0.schedule.every: durations are at most 3650d");
  });

  it("ten years of retention and a one-day timeout are accepted", () => {
    const { hash: _h, ...rest } = manifestOf([monitorSpec({ id: "site", check: http("1d") })]);
    const m = sealManifest({ ...rest, settings: { ...rest.settings, runtime: { ...DEFAULT_RUNTIME_SETTINGS, retention: { ...DEFAULT_RUNTIME_SETTINGS.retention, results: "3650d" } } } });
    const result = parsed(m);
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
  });
});
