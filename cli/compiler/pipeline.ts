import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { canonicalJson, sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { EXIT, UserError } from "../errors.js";
import { runRules } from "../rules/index.js";
import { dedupe, hasErrors, parseSource, sortDiagnostics, type Location } from "./diagnostic.js";
import type { CompileCache } from "./compile-cache.js";
import { CONFIG_FILE, discover } from "./discover.js";
import type { Discovery } from "./discover.js";
import { buildBundles } from "./bundles.js";
import { loadProject, type LoadBundle } from "./load.js";
import type { SdkLocation } from "./paths.js";
import { schemaDiagnostics } from "./schema-check.js";
import type { MonitorBundle } from "./synthesize.js";
import type { Typechecker } from "./typechecker.js";
import type { CompileOptions, CompileResult, Diagnostic } from "./types.js";
import { writeArtifact } from "./write.js";
import { BUNDLE_FILE, MANIFEST_FILE } from "./artifact-files.js";

/** The compile pipeline after the type checker has started (see index.ts). */
export async function runPipeline(
  options: CompileOptions,
  sdk: SdkLocation,
  checker: Typechecker,
  cache: CompileCache | null = null,
  likelyRoots: string[] | null = null,
): Promise<CompileResult> {
  const projectDir = path.resolve(options.projectDir);
  const outDir = options.outDir ? path.resolve(options.outDir) : path.join(projectDir, "dist", "watchkeeper");
  const now = options.now ?? new Date();
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  const finish = (manifest: CompileResult["manifest"] = null, bundle: string | null = null): CompileResult => {
    const all = sortDiagnostics(dedupe(diagnostics));
    return { ok: !hasErrors(all), diagnostics: all, manifest, bundle, outDir, timings };
  };
  const time = async <T>(step: string, run: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await run();
    } finally {
      timings[step] = (timings[step] ?? 0) + Math.round(performance.now() - start);
    }
  };

  const workDir = await mkdtemp(path.join(tmpdir(), "wk-compile-"));
  // The bundles need only the file list: for the likely one (default globs) esbuild starts while
  // the config runs, in a folder of its own; discovery then says whether it was the right list.
  let early: { modules: string; bundles: ReturnType<typeof buildBundles> } | null = null;
  if (likelyRoots) {
    const [configFile, ...modules] = likelyRoots;
    const earlyDir = path.join(workDir, "early");
    const bundles = mkdir(earlyDir).then(() => buildBundles(projectDir, { configFile: configFile!, modules }, sdk, earlyDir));
    bundles.catch(() => undefined);
    early = { modules: JSON.stringify(modules), bundles };
  }
  try {
    const found = await time("discover", () => discover(projectDir, sdk, workDir, options.loadTimeoutMs, cache));
    diagnostics.push(...found.diagnostics);
    if (!found.ok) return finish();
    const { discovery } = found;

    // esbuild works in its own process: both bundles are built while the type check runs.
    const bundles =
      early && early.modules === JSON.stringify(discovery.modules) ? early.bundles : buildBundles(projectDir, discovery, sdk, workDir);
    const loadBundle = bundles.then((b) => b.load);
    const monitorsBundle = bundles.then((b) => b.monitors);
    const typechecked = time("typecheck", () => checker.check([discovery.configFile, ...discovery.modules]));
    typechecked.catch(() => undefined);
    if (!checker.parallel && hasErrors(await typechecked)) {
      diagnostics.push(...(await typechecked));
      await Promise.all([loadBundle, monitorsBundle]);
      return finish();
    }

    // With a worker, loading and validating overlap the type check; their findings count only
    // when the types are sound, since a type error's runtime symptoms would only add noise.
    const later: Diagnostic[] = [];
    const artifact = await produce(projectDir, discovery, sdk, workDir, now, loadBundle, monitorsBundle, later, time, options.loadTimeoutMs);
    const typeErrors = await typechecked;
    // The check's own duration: it may have started before discovery (see typechecker.ts).
    if (checker.tookMs !== undefined) timings["typecheck"] = checker.tookMs;
    diagnostics.push(...typeErrors);
    if (hasErrors(typeErrors)) return finish();
    diagnostics.push(...later);
    if (!artifact.manifest || artifact.bundle === null || hasErrors(diagnostics)) return finish(artifact.manifest);
    const { manifest, bundle } = artifact;

    if (options.write !== false) {
      await time("write", async () => {
        try {
          await writeArtifact(outDir, { [MANIFEST_FILE]: canonicalJson(manifest) + "\n", [BUNDLE_FILE]: bundle });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (!code) throw error;
          throw new UserError(`cannot write the artifact to ${outDir} (${code})`, EXIT.findings, "check that the output folder's parent exists and is writable, or pass --out DIR");
        }
      });
    }
    return finish(manifest, bundle);
  } finally {
    // An early build nobody used may still be writing into the work folder.
    await early?.bundles.catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}

type Timer = <T>(step: string, run: () => T | Promise<T>) => Promise<T>;

/** load -> validate -> synthesize; findings go to `diagnostics`. */
async function produce(
  projectDir: string,
  discovery: Discovery,
  sdk: SdkLocation,
  workDir: string,
  now: Date,
  loadBundle: Promise<LoadBundle>,
  monitorsBundle: Promise<MonitorBundle>,
  diagnostics: Diagnostic[],
  time: Timer,
  loadTimeoutMs: number | undefined,
): Promise<{ manifest: Manifest | null; bundle: string | null }> {
  const loaded = await time("load", async () => {
    const bundle = await loadBundle;
    if (!bundle.ok) {
      diagnostics.push(...bundle.diagnostics);
      return null;
    }
    const result = await loadProject(projectDir, discovery, bundle, sdk, workDir, loadTimeoutMs);
    diagnostics.push(...result.diagnostics);
    return result.loaded;
  });
  if (!loaded) {
    await monitorsBundle;
    return { manifest: null, bundle: null };
  }

  const manifest = await time("validate", () => {
    // Synthesized in the sandbox (getters and proxies ran there); here it is plain data.
    const sealed = sealManifest(loaded.manifest);
    const schema = schemaDiagnostics(sealed);
    diagnostics.push(...schema);
    const columns = columnIndex(loaded.locations);
    const locate = (entry: { source: string }) => ({ ...parseSource(entry.source), column: columns.get(entry.source) ?? null });
    const context = { manifest: loaded.manifest, config: loaded.config, sources: loaded.sources, now, locate };
    diagnostics.push(...runRules(context, CONFIG_FILE, schema.length > 0));
    return schema.length > 0 ? null : sealed;
  });
  if (!manifest || hasErrors(diagnostics)) {
    await monitorsBundle;
    return { manifest, bundle: null };
  }

  const bundle = await time("synthesize", async () => {
    const built = await monitorsBundle;
    if (!built.ok) diagnostics.push(...built.diagnostics);
    return built.ok ? built.text : null;
  });
  return { manifest, bundle };
}

/** Column of each `file:line` where a construct was made (the manifest keeps file:line only). */
function columnIndex(locations: Iterable<Location>): Map<string, number> {
  const out = new Map<string, number>();
  for (const at of locations) {
    if (!at.file || at.line === null || at.column === null) continue;
    const key = `${at.file}:${at.line}`;
    if (!out.has(key)) out.set(key, at.column);
  }
  return out;
}
