import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { loadArtifact } from "../../runtime/artifact.js";
import { bundleSha256, parseManifest as parseAnyManifest } from "../../sdk/manifest/index.js";
import { NOW } from "../compiler/support.js";
import { tempProjects } from "../compiler/temp-project.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * manifest.json and monitors.mjs are deployed together; a monitors.mjs from another compile
 * (a stale copy, a partial rsync, a hand edit) would run old code under the new manifest.
 */
const compile = tempProjects();

const project = (threshold: number) => ({
  "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "sealed" });\n`,
  "monitors/latency.ts": `import { check, monitor } from "watchkeeper";

export const latency = monitor({
  id: "latency",
  schedule: { every: "1m" },
  check: check.http({ url: "http://10.0.0.1/health" }),
  condition: (r) => (r.value ?? 0) > ${threshold},
});
`,
});

describe("monitors.mjs is sealed by the manifest", () => {
  it("wk compile records the sha256 of the monitors.mjs it writes, outside the content hash", async () => {
    const { result, outDir } = await compile(project(500));
    expect(result.ok).toBe(true);
    const written = JSON.parse(await readFile(path.join(outDir, "manifest.json"), "utf8"));
    const bundle = await readFile(path.join(outDir, "monitors.mjs"));
    expect(written.bundle).toEqual({ sha256: bundleSha256(bundle) });
    const parsed = parseManifest(written);
    if (!parsed.ok) throw new Error(parsed.reason);
    // The plan (which builds no bundle) and the deploy see the hash they saw before the seal.
    expect(parsed.manifest.hash).toBe(result.manifest!.hash);
    expect(result.manifest).not.toHaveProperty("bundle");
    const loaded = await loadArtifact(outDir);
    expect(loaded.missing).toEqual([]);
  }, 60_000);

  it("a runtime given a monitors.mjs from an earlier compile, with the same export names, refuses to start and says why", async () => {
    const before = await compile(project(500));
    const after = await compile(project(100));
    expect(before.result.ok && after.result.ok).toBe(true);
    // Same monitor, same exports: only the code differs.
    await writeFile(path.join(after.outDir, "monitors.mjs"), await readFile(path.join(before.outDir, "monitors.mjs")));
    await expect(loadArtifact(after.outDir)).rejects.toThrow(/monitors\.mjs is not the monitors\.mjs compiled with .*manifest\.json .*different compiles/);
  }, 60_000);

  it("a hand edit of monitors.mjs is refused", async () => {
    const { outDir } = await compile(project(500));
    const file = path.join(outDir, "monitors.mjs");
    await writeFile(file, (await readFile(file, "utf8")).replace("500", "5000"));
    await expect(loadArtifact(outDir)).rejects.toThrow(/is not the monitors\.mjs compiled with/);
  }, 60_000);

  it("a missing monitors.mjs beside a sealed manifest is named", async () => {
    const { outDir } = await compile(project(500));
    const { rm } = await import("node:fs/promises");
    await rm(path.join(outDir, "monitors.mjs"));
    await expect(loadArtifact(outDir)).rejects.toThrow(/monitors\.mjs does not exist: .*manifest\.json was compiled with a monitors\.mjs beside it/);
  }, 60_000);

  it("an artifact compiled before the seal (no bundle field) loads as before", async () => {
    const { outDir } = await compile(project(500));
    const file = path.join(outDir, "manifest.json");
    const { bundle: _seal, ...unsealed } = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify(unsealed));
    await expect(loadArtifact(outDir)).resolves.toMatchObject({ missing: [] });
  }, 60_000);

  it("compiling twice writes byte-identical files, seal included", async () => {
    const { projectDir, outDir } = await compile(project(500));
    const first = await readFile(path.join(outDir, "manifest.json"), "utf8");
    const again = path.join(path.dirname(outDir), "again");
    const second = await compileProject({ projectDir, outDir: again, now: NOW });
    expect(second.ok).toBe(true);
    expect(await readFile(path.join(again, "manifest.json"), "utf8")).toBe(first);
  }, 60_000);
});
