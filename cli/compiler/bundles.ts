import { readFileSync } from "node:fs";
import path from "node:path";
import type { Metafile } from "esbuild";
import { esbuild } from "./esbuild.js";
import type { Discovery } from "./discover.js";
import { baseBuildOptions, ENTRY_NAMESPACE, entryPlugin, normalizeModuleComments } from "./esbuild-options.js";
import { buildFailureDiagnostics } from "./evaluate.js";
import { importGraph, loadEntry, type LoadBundle } from "./load.js";
import { outsideImports } from "./outside-inputs.js";
import type { SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";
import { monitorsEntry, type MonitorBundle } from "./synthesize.js";

type Roots = Pick<Discovery, "configFile" | "modules">;

/**
 * The load bundle (the config and the modules to load, with a source map for locations) and
 * monitors.mjs (every module), each only when asked for. When both cover the same modules one
 * esbuild build makes both, so each module is parsed once; it runs in esbuild's own process
 * while the type check runs. A warm compile loads a few modules but bundles all of them for
 * monitors.mjs: two builds then, side by side.
 */
export async function buildBundles(
  projectDir: string,
  load: Roots | null,
  monitors: Roots | null,
  sdk: SdkLocation,
  workDir: string,
): Promise<{ load: LoadBundle | null; monitors: MonitorBundle | null }> {
  const same = load && monitors && load.modules.length === monitors.modules.length && load.modules.every((m, i) => m === monitors.modules[i]);
  if (same || !load || !monitors) {
    const entries: Record<string, string> = {};
    if (load) entries["load"] = loadEntry(projectDir, load);
    if (monitors) entries["monitors"] = monitorsEntry(projectDir, monitors);
    const built = await build(projectDir, entries, sdk, workDir);
    return { load: load ? (built.ok ? loadBundleOf(built, projectDir, sdk, workDir) : built) : null, monitors: monitors ? (built.ok ? monitorsOf(built, projectDir, sdk, workDir) : built) : null };
  }
  const [forLoad, forMonitors] = await Promise.all([
    build(projectDir, { load: loadEntry(projectDir, load) }, sdk, workDir),
    build(projectDir, { monitors: monitorsEntry(projectDir, monitors) }, sdk, workDir),
  ]);
  return {
    load: forLoad.ok ? loadBundleOf(forLoad, projectDir, sdk, workDir) : forLoad,
    monitors: forMonitors.ok ? monitorsOf(forMonitors, projectDir, sdk, workDir) : forMonitors,
  };
}

type Built = { ok: true; metafile: Metafile } | { ok: false; diagnostics: Diagnostic[] };

async function build(projectDir: string, entries: Record<string, string>, sdk: SdkLocation, workDir: string): Promise<Built> {
  if (Object.keys(entries).length === 0) return { ok: true, metafile: { inputs: {}, outputs: {} } };
  try {
    const base = baseBuildOptions(projectDir, sdk);
    const result = await esbuild.build({
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
    const outside = outsideImports(result.metafile!, projectDir, sdk);
    if (outside.length > 0) return { ok: false, diagnostics: outside };
    return { ok: true, metafile: result.metafile! };
  } catch (error) {
    const diagnostics = buildFailureDiagnostics(error);
    if (!diagnostics) throw error;
    return { ok: false, diagnostics };
  }
}

function loadBundleOf(built: Extract<Built, { ok: true }>, projectDir: string, sdk: SdkLocation, workDir: string): LoadBundle {
  const bundle = { file: path.join(workDir, "load.mjs"), mapFile: path.join(workDir, "load.mjs.map") };
  return { ok: true, bundle, graph: importGraph(built.metafile, projectDir, sdk), metafile: built.metafile };
}

function monitorsOf(built: Extract<Built, { ok: true }>, projectDir: string, sdk: SdkLocation, workDir: string): MonitorBundle {
  const monitors = readFileSync(path.join(workDir, "monitors.mjs"), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\n?$/, "\n");
  return { ok: true, text: normalizeModuleComments(monitors, built.metafile, projectDir, sdk) };
}
