import { createHmac } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { openCompileCache } from "../../cli/compiler/compile-cache.js";
import { compileProject, type CompileResult } from "../../cli/compiler/index.js";
import { loadCacheKey, planLoad } from "../../cli/compiler/load-cache.js";
import { locateSdk } from "../../cli/compiler/paths.js";
import { copyFixture, NOW, readEntry, temporaryUserCache, writeEntry } from "./support.js";

// Each test gets a project copy and a cache folder of its own; the HMAC key lives in a temp
// "user cache" so the machine's own is not touched.
temporaryUserCache();
let project: { dir: string; cleanup: () => Promise<void> } | undefined;

afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** Two monitors modules that both declare `threshold`: a bundle of both renames one of them. */
const thresholdModule = (id: string, value: number) =>
  [
    'import { check, monitor } from "watchkeeper";',
    'import { paymentsService } from "../policies/oncall.js";',
    "",
    `const threshold = ${value};`,
    "",
    "export const latency = monitor({",
    `  id: "${id}",`,
    '  schedule: "*/5 * * * *",',
    `  check: check.http({ url: "https://${id}.example.com/health" }),`,
    "  condition: (r) => (r.value ?? 0) < threshold,",
    '  severity: "critical",',
    "  service: paymentsService,",
    "});",
    "",
  ].join("\n");

async function freshProject(): Promise<string> {
  project = await copyFixture("ok");
  process.env["WK_CACHE_DIR"] = path.join(project.dir, "..", "cache");
  await writeFile(path.join(project.dir, "monitors", "api.ts"), thresholdModule("api-latency", 500));
  await writeFile(path.join(project.dir, "monitors", "web.ts"), thresholdModule("web-latency", 800));
  return project.dir;
}

const warm = (dir: string) => compileProject({ projectDir: dir, outDir: path.join(dir, "..", "warm-out"), now: NOW });
const cold = (dir: string) => compileProject({ projectDir: dir, outDir: path.join(dir, "..", "cold-out"), now: NOW, cache: false });

async function artifacts(result: CompileResult): Promise<{ manifest: string; bundle: string }> {
  expect(result.ok, JSON.stringify(result.diagnostics, null, 2)).toBe(true);
  return { manifest: await readFile(path.join(result.outDir, "manifest.json"), "utf8"), bundle: await readFile(path.join(result.outDir, "monitors.mjs"), "utf8") };
}

/** The files a warm load would run now (the config first), by the cache's own plan. */
function staleNow(dir: string): string[] {
  const cache = openCompileCache(dir)!;
  const files = ["watchkeeper.config.ts", "monitors/api.ts", "monitors/payments.ts", "monitors/web.ts", "policies/oncall.ts"];
  return planLoad(cache, loadCacheKey(dir, locateSdk()), dir, files, null).stale;
}

const edit = async (file: string, change: (text: string) => string) => writeFile(file, change(await readFile(file, "utf8")));

// Several whole compiles per test on a shared machine: generous limits, nothing timed.
describe("the load cache", () => {
  it("gives, after each kind of edit, the manifest and bundle a cold compile gives, byte for byte", { timeout: 600_000 }, async () => {
    const dir = await freshProject();
    const monitors = path.join(dir, "monitors");
    const edits: [string, () => Promise<void>][] = [
      ["nothing changed", async () => undefined],
      ["a monitor's field changed", () => edit(path.join(monitors, "web.ts"), (t) => t.replace('severity: "critical"', 'severity: "warning"'))],
      ["a monitor's code changed (its module shares a name with another)", () => edit(path.join(monitors, "api.ts"), (t) => t.replace("< threshold", "<= threshold"))],
      ["a module added", () => writeFile(path.join(monitors, "extra.ts"), thresholdModule("extra-latency", 300))],
      ["a module imported by every monitor changed", () => edit(path.join(dir, "policies", "oncall.ts"), (t) => t.replace('name: "Payments API"', 'name: "Payments API v2"'))],
      ["a module renamed", () => rename(path.join(monitors, "extra.ts"), path.join(monitors, "renamed.ts"))],
      ["a module deleted", () => unlink(path.join(monitors, "renamed.ts"))],
    ];
    for (const [what, change] of edits) {
      await change();
      const fromCache = await artifacts(await warm(dir));
      const fresh = await artifacts(await cold(dir));
      expect(fromCache.manifest, what).toBe(fresh.manifest);
      expect(fromCache.bundle, what).toBe(fresh.bundle);
    }
    // The warm runs above really reused records: one edited module is all a warm load runs again
    // (with the config), and a module every monitor imports takes those monitors with it.
    await edit(path.join(monitors, "web.ts"), (t) => t.replace("800", "900"));
    expect(staleNow(dir)).toEqual(["watchkeeper.config.ts", "monitors/web.ts"]);
    await edit(path.join(dir, "policies", "oncall.ts"), (t) => t + "\n// edited\n");
    expect(staleNow(dir)).toEqual(["watchkeeper.config.ts", "monitors/api.ts", "monitors/payments.ts", "monitors/web.ts", "policies/oncall.ts"]);
    await warm(dir);
    expect(staleNow(dir)).toEqual([]);
  });

  it("reports a type error and a validation error introduced on a warm run at the same file:line:col and code as a cold run", { timeout: 600_000 }, async () => {
    const dir = await freshProject();
    expect((await warm(dir)).ok).toBe(true);

    // A validation error across modules: a second monitor with an id that a cached module defines.
    await writeFile(path.join(dir, "monitors", "dup.ts"), thresholdModule("api-latency", 100));
    const dupWarm = await warm(dir);
    const dupCold = await cold(dir);
    const duplicate = dupWarm.diagnostics.find((d) => d.code === "unique-ids");
    expect(duplicate, JSON.stringify(dupWarm.diagnostics, null, 2)).toMatchObject({ severity: "error", line: 6 });
    expect(["monitors/api.ts", "monitors/dup.ts"]).toContain(duplicate!.file);
    expect(dupWarm.diagnostics).toEqual(dupCold.diagnostics);
    await unlink(path.join(dir, "monitors", "dup.ts"));

    // A schema error in a warm-loaded module.
    await edit(path.join(dir, "monitors", "web.ts"), (t) => t.replace('schedule: "*/5 * * * *"', 'schedule: "*/5 * * *"'));
    const cronWarm = await warm(dir);
    expect(cronWarm.diagnostics.find((d) => d.code === "valid-schedules"), JSON.stringify(cronWarm.diagnostics, null, 2)).toMatchObject({ file: "monitors/web.ts", line: 6 });
    expect(cronWarm.diagnostics).toEqual((await cold(dir)).diagnostics);
    await edit(path.join(dir, "monitors", "web.ts"), (t) => t.replace('schedule: "*/5 * * *"', 'schedule: "*/5 * * * *"'));

    // A schema error (an id that is not kebab-case) in a warm-loaded module; the entries the
    // schema passed before are not parsed again, and the finding is the same as a cold run's.
    await edit(path.join(dir, "monitors", "web.ts"), (t) => t.replace('id: "web-latency"', 'id: "Web_Latency"'));
    const schemaWarm = await warm(dir);
    expect(schemaWarm.diagnostics.find((d) => d.code === "WK3001"), JSON.stringify(schemaWarm.diagnostics, null, 2)).toMatchObject({ file: "monitors/web.ts", line: 7, column: 3 });
    expect(schemaWarm.diagnostics).toEqual((await cold(dir)).diagnostics);
    await edit(path.join(dir, "monitors", "web.ts"), (t) => t.replace('id: "Web_Latency"', 'id: "web-latency"'));

    // A type error.
    await edit(path.join(dir, "monitors", "web.ts"), (t) => t.replace('severity: "critical"', "severity: 5"));
    const typeWarm = await warm(dir);
    expect(typeWarm.diagnostics.find((d) => d.code === "TS2322"), JSON.stringify(typeWarm.diagnostics, null, 2)).toMatchObject({ file: "monitors/web.ts", line: 11, column: 3 });
    expect(typeWarm.diagnostics).toEqual((await cold(dir)).diagnostics);
  });

  it("ignores a forged or corrupted entry and loads the modules instead", { timeout: 600_000 }, async () => {
    const dir = await freshProject();
    expect((await warm(dir)).ok).toBe(true);
    const entryFile = path.join(process.env["WK_CACHE_DIR"]!, "load.json");
    const text = await readFile(entryFile, "utf8");
    const entry = readEntry(text);
    expect(entry.body).toContain('"Payments API"');
    // The attacker knows the format: they rename the service in the cached parts and seal the
    // entry with a key of their own (they cannot read the user's key).
    const forged = entry.body.split('"Payments API"').join('"Forged API"');
    const sealed = (mac: string) => writeEntry(entry.key, mac, forged);
    const truth = canonicalJson((await cold(dir)).manifest);

    await writeFile(entryFile, sealed(createHmac("sha256", "guessed").update(`load\0${entry.key}\0${forged}`).digest("hex")));
    const withGuessedKey = await warm(dir);
    expect(canonicalJson(withGuessedKey.manifest)).toBe(truth);
    expect(JSON.stringify(withGuessedKey.manifest)).not.toContain("Forged API");

    // The same forgery keeping the old checksum, and a truncated file, fail too.
    await writeFile(entryFile, sealed(entry.mac));
    expect(canonicalJson((await warm(dir)).manifest)).toBe(truth);
    await writeFile(entryFile, text.slice(0, 200));
    expect(canonicalJson((await warm(dir)).manifest)).toBe(truth);
  });

  it("stores each part once and a module's parts by position; a sealed entry whose positions do not hold is not used", { timeout: 600_000 }, async () => {
    const dir = await freshProject();
    expect((await warm(dir)).ok).toBe(true);
    const entry = readEntry(await readFile(path.join(process.env["WK_CACHE_DIR"]!, "load.json"), "utf8"));
    const state = JSON.parse(entry.body) as { hashes: string[]; parts: unknown[]; modules: Record<string, { parts: unknown[] }> };
    // Every part once, beside its hash; the modules name them by position.
    expect(new Set(state.hashes).size).toBe(state.hashes.length);
    expect(state.parts).toHaveLength(state.hashes.length);
    for (const record of Object.values(state.modules)) for (const i of record.parts) expect(state.hashes[i as number]).toBeDefined();
    expect(staleNow(dir)).toEqual([]);

    // Written through the cache with the user's own key, as a bug of ours would write it.
    const truth = canonicalJson((await cold(dir)).manifest);
    const cache = openCompileCache(dir)!;
    for (const bad of [state.hashes.length, -1, 0.5, "0", null]) {
      const broken = structuredClone(state);
      broken.modules["monitors/web.ts"]!.parts = [bad];
      cache.write("load", entry.key, broken);
      expect(staleNow(dir)).toHaveLength(5);
      expect(canonicalJson((await warm(dir)).manifest)).toBe(truth);
    }
  });
});
