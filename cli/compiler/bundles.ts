import { readFileSync } from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import type { Discovery } from "./discover.js";
import { baseBuildOptions, ENTRY_NAMESPACE, entryPlugin, normalizeModuleComments } from "./esbuild-options.js";
import { buildFailureDiagnostics } from "./evaluate.js";
import { importGraph, loadEntry, type LoadBundle } from "./load.js";
import type { SdkLocation } from "./paths.js";
import { monitorsEntry, type MonitorBundle } from "./synthesize.js";

/**
 * Both bundles in one esbuild build: the load bundle (with a source map, for locations) and
 * monitors.mjs. One build parses each module once; it runs in esbuild's own process while the
 * type check runs.
 */
export async function buildBundles(
  projectDir: string,
  discovery: Pick<Discovery, "configFile" | "modules">,
  sdk: SdkLocation,
  workDir: string,
): Promise<{ load: LoadBundle; monitors: MonitorBundle }> {
  const entries = { load: loadEntry(projectDir, discovery), monitors: monitorsEntry(projectDir, discovery) };
  let result: esbuild.BuildResult;
  try {
    const base = baseBuildOptions(projectDir, sdk);
    result = await esbuild.build({
      ...base,
      plugins: [entryPlugin(entries, projectDir), ...(base.plugins ?? [])],
      entryPoints: Object.keys(entries).map((name) => ({ in: `${ENTRY_NAMESPACE}:${name}`, out: name })),
      outdir: workDir,
      outExtension: { ".js": ".mjs" },
      // esbuild writes the 2 MB load bundle and its map itself: handing them to this process as
      // text, only to write them again for the loader child, cost more than building them.
      write: true,
      sourcemap: "external",
      // Only positions are needed (construct locations); the sources are on disk.
      sourcesContent: false,
    });
  } catch (error) {
    const diagnostics = buildFailureDiagnostics(error);
    if (!diagnostics) throw error;
    return { load: { ok: false, diagnostics }, monitors: { ok: false, diagnostics } };
  }
  const monitors = readFileSync(path.join(workDir, "monitors.mjs"), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\n?$/, "\n");
  const bundle = { file: path.join(workDir, "load.mjs"), mapFile: path.join(workDir, "load.mjs.map") };
  return {
    load: { ok: true, bundle, graph: importGraph(result.metafile!, projectDir, sdk) },
    monitors: { ok: true, text: normalizeModuleComments(monitors, result.metafile!, projectDir, sdk) },
  };
}
