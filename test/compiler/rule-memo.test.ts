import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject, type Diagnostic } from "../../cli/compiler/index.js";

// valid-schedules, oncall-coverage, ending-layer and the source scans keep the entries they found clean in the compile cache, so a
// warm `wk validate` does not check them again. What they keep must never hide a finding.

let base: string;
let project: string;
const previousCacheDir = process.env["WK_CACHE_DIR"];

/** A schedule on call around the clock whose only layer ends 4 weeks and 6 hours after 2026-11-23T00:00Z. */
const ONCALL = `import { escalationPolicy, schedule, service, user } from "watchkeeper";

const ana = user({ id: "ana", name: "Ana", email: "ana@example.com", timeZone: "Europe/Berlin" });

export const ending = schedule({
  id: "ending",
  timeZone: "UTC",
  layers: [{ start: "2026-01-05T00:00:00", end: "2026-12-21T06:00:00", rotation: "1d", users: [ana] }],
});

export const web = service({ id: "web", escalationPolicy: escalationPolicy({ id: "web-ep", rules: [{ delay: "15m", targets: [ending] }, { delay: "15m", targets: [ana] }] }) });
`;

const MONITORS = `import { monitor } from "watchkeeper";

export const zoned = monitor({ id: "zoned", schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" }, check: { kind: "tcp", host: "db.internal", port: 5432 } });
export const fast = monitor({ id: "fast", schedule: { every: "30s" }, check: { kind: "tcp", host: "db.internal", port: 5432 } });
`;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "wk-rule-memo-"));
  project = path.join(base, "project");
  await mkdir(path.join(project, "policies"), { recursive: true });
  await mkdir(path.join(project, "monitors"), { recursive: true });
  await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "memo", private: true, type: "module" }));
  await writeFile(path.join(project, "watchkeeper.config.ts"), 'import { config } from "watchkeeper";\n\nexport default config({ name: "memo" });\n');
  await writeFile(path.join(project, "policies", "oncall.ts"), ONCALL);
  await writeFile(path.join(project, "monitors", "checks.ts"), MONITORS);
  process.env["WK_CACHE_DIR"] = path.join(base, "cache");
});

afterAll(async () => {
  if (previousCacheDir === undefined) delete process.env["WK_CACHE_DIR"];
  else process.env["WK_CACHE_DIR"] = previousCacheDir;
  await rm(base, { recursive: true, force: true });
});

const validate = async (now: string): Promise<Diagnostic[]> => (await compileProject({ projectDir: project, write: false, bundle: false, manifest: false, now: new Date(now) })).diagnostics;
const coverage = (found: Diagnostic[]) => found.filter((d) => d.code === "oncall-coverage");
const ending = (found: Diagnostic[]) => found.filter((d) => d.code === "ending-layer");
const schedules = (found: Diagnostic[]) => found.filter((d) => d.code === "valid-schedules");

describe("rule verdicts kept between compiles", () => {
  it("a gap and a layer's end just past the window are found by a later compile of the same day, after an earlier one kept nothing wrong", async () => {
    // At midnight the window ends 2026-12-21T00:00Z: the layer still covers it.
    const first = await validate("2026-11-23T00:00:00Z");
    expect(first.filter((d) => d.severity === "error"), "the project itself is valid").toEqual([]);
    expect(coverage(first)).toEqual([]);
    expect(coverage(await validate("2026-11-23T00:00:00Z"))).toEqual([]);
    expect(ending(first)).toEqual([]);
    // Twelve hours later the window reaches past the layer's end at 06:00.
    const found = await validate("2026-11-23T12:00:00Z");
    const later = coverage(found);
    expect(later).toHaveLength(1);
    expect(later[0]!.message).toContain("2026-12-21 06:00");
    expect(ending(found)).toHaveLength(1);
    expect(ending(found)[0]!.message).toContain('schedule "ending"');
  });

  it("a verdict kept on one day is not used on the next", async () => {
    // Fully covered the whole of 2026-11-01 and the 4 weeks after: kept for that day.
    expect(coverage(await validate("2026-11-01T00:00:00Z"))).toEqual([]);
    expect(coverage(await validate("2026-11-01T23:00:00Z"))).toEqual([]);
    // 2026-11-23T13:00Z: the window ends past the layer.
    expect(coverage(await validate("2026-11-23T13:00:00Z"))).toHaveLength(1);
  });

  it("an entry edited into a mistake is reported although its clean form was kept", async () => {
    expect(schedules(await validate("2026-11-23T00:00:00Z"))).toEqual([]);
    await writeFile(path.join(project, "monitors", "checks.ts"), MONITORS.replace('"Europe/Berlin" }', '"Mars/Olympus" }').replace('every: "30s"', 'every: "500ms"'));
    await writeFile(path.join(project, "policies", "oncall.ts"), ONCALL.replace('timeZone: "Europe/Berlin"', 'timeZone: "Europe/Nowhere"'));
    const text = schedules(await validate("2026-11-23T00:00:00Z")).map((d) => d.message).join("\n");
    expect(text).toMatch(/monitor "zoned": unknown time zone "Mars\/Olympus"/);
    expect(text).toMatch(/monitor "fast": every "500ms" is shorter than 1s/);
    expect(text).toMatch(/user "ana": unknown time zone "Europe\/Nowhere"/);
    // And back: clean again.
    await writeFile(path.join(project, "monitors", "checks.ts"), MONITORS);
    await writeFile(path.join(project, "policies", "oncall.ts"), ONCALL);
    expect(schedules(await validate("2026-11-23T00:00:00Z"))).toEqual([]);
  });

  it("a source or an entry kept clean is checked again when what its verdict depends on changes", async () => {
    const config = (secrets: string[]) => `import { config } from "watchkeeper";\n\nexport default config({ name: "memo", secrets: ${JSON.stringify(secrets)} });\n`;
    const withSecret = `${MONITORS}
import { secret } from "watchkeeper";
export const hook = monitor({ id: "hook", schedule: { every: "1m" }, check: { kind: "http", url: "https://example.com/health", headers: { authorization: secret("HOOK_TOKEN") } } });
`;
    await writeFile(path.join(project, "watchkeeper.config.ts"), config(["HOOK_TOKEN"]));
    await writeFile(path.join(project, "monitors", "checks.ts"), withSecret);
    const clean = await validate("2026-11-23T00:00:00Z");
    expect(clean.filter((d) => d.severity === "error")).toEqual([]);
    // The same entry, the secret no longer declared.
    await writeFile(path.join(project, "watchkeeper.config.ts"), config([]));
    const undeclared = (await validate("2026-11-23T00:00:00Z")).filter((d) => d.code === "declared-secrets");
    expect(undeclared.map((d) => d.message)).toEqual(['secret "HOOK_TOKEN" is not declared in the config, and is used by monitor "hook"']);
    // A literal token written into the file that was clean.
    await writeFile(path.join(project, "watchkeeper.config.ts"), config(["HOOK_TOKEN"]));
    await writeFile(path.join(project, "monitors", "checks.ts"), withSecret + 'export const note = "Bearer abcdefghijklmnopqrstuvwxyz0123456789";\nexport const region = process.env.REGION;\n');
    const codes = (await validate("2026-11-23T00:00:00Z")).map((d) => d.code);
    expect(codes).toContain("no-secret-literals");
    expect(codes).toContain("no-process-env");
    await writeFile(path.join(project, "watchkeeper.config.ts"), 'import { config } from "watchkeeper";\n\nexport default config({ name: "memo" });\n');
    await writeFile(path.join(project, "monitors", "checks.ts"), MONITORS);
  });
});
