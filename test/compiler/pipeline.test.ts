import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discover, likelyRoots } from "../../cli/compiler/discover.js";
import { compileProject } from "../../cli/compiler/index.js";
import { locateSdk } from "../../cli/compiler/paths.js";
import { copyFixture, FIXTURES, NOW } from "./support.js";

let project: { dir: string; cleanup: () => Promise<void> } | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function discovered(dir: string, listed: string[] | null): Promise<string[]> {
  const work = await mkdtemp(path.join(tmpdir(), "wk-discover-"));
  try {
    const found = await discover(dir, locateSdk(), work, undefined, null, listed);
    if (!found.ok) throw new Error(JSON.stringify(found.diagnostics));
    return found.discovery.modules.map((f) => path.relative(dir, f));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("discover", () => {
  it("takes the listing made before the config ran while the config keeps the default globs, and lists its own globs otherwise", { timeout: 120_000 }, async () => {
    project = await copyFixture("ok");
    const { dir } = project;
    const likely = (await likelyRoots(dir))!;
    expect(likely.map((f) => path.relative(dir, f))).toEqual(["watchkeeper.config.ts", "monitors/payments.ts", "policies/oncall.ts"]);
    // The listing given is the one used: no second walk of the folders.
    const given = [path.join(dir, "monitors", "payments.ts")];
    expect(await discovered(dir, given)).toEqual(["monitors/payments.ts"]);
    expect(await discovered(dir, null)).toEqual(["monitors/payments.ts", "policies/oncall.ts"]);

    // A config with globs of its own is listed by them, whatever was listed before.
    await writeFile(path.join(dir, "checks.ts"), await readFile(path.join(dir, "monitors", "payments.ts"), "utf8"));
    const config = path.join(dir, "watchkeeper.config.ts");
    await writeFile(config, (await readFile(config, "utf8")).replace('name: "fixture-ok",', 'name: "fixture-ok",\n  monitors: ["checks.ts"],'));
    expect(await discovered(dir, given)).toEqual(["checks.ts", "policies/oncall.ts"]);
  });
});

describe("a compile that keeps no manifest (`wk validate`)", () => {
  it("reports what a compile reports, and seals nothing", { timeout: 240_000 }, async () => {
    for (const fixture of ["ok", "rule-runbook-url", "duplicate-id"]) {
      const projectDir = path.join(FIXTURES, fixture);
      const full = await compileProject({ projectDir, write: false, bundle: false, cache: false, now: NOW });
      const validated = await compileProject({ projectDir, write: false, bundle: false, cache: false, now: NOW, manifest: false });
      expect(validated.diagnostics, fixture).toEqual(full.diagnostics);
      expect(validated.ok, fixture).toBe(full.ok);
      expect(validated.manifest, fixture).toBeNull();
      if (fixture === "ok") expect(full.manifest?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it("is sealed whenever it is written", { timeout: 120_000 }, async () => {
    project = await copyFixture("ok");
    const outDir = path.join(project.dir, "out");
    const result = await compileProject({ projectDir: project.dir, outDir, bundle: false, cache: false, now: NOW, manifest: false });
    expect(result.ok).toBe(true);
    expect(JSON.parse(await readFile(path.join(outDir, "manifest.json"), "utf8")).hash).toBe(result.manifest!.hash);
  });
});
