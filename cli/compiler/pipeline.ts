import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { canonicalJson, sealManifest, withBundleSeal, type Manifest } from "../../sdk/manifest/index.js";
import { EXIT, UserError } from "../errors.js";
import { runRules, type RuleMemo } from "../rules/index.js";
import { dedupe, hasErrors, parseSource, sortDiagnostics } from "./diagnostic.js";
import { sha256, treeFingerprint, type CompileCache } from "./compile-cache.js";
import { CONFIG_FILE, discover } from "./discover.js";
import type { Discovery } from "./discover.js";
import { buildBundles } from "./bundles.js";
import { SandboxSpare, sandboxReadable } from "./sandbox.js";
import { loadProject, type LoadBundle } from "./load.js";
import { loadCacheKey, planLoad, type LoadPlan } from "./load-cache.js";
import { relativePath, type SdkLocation } from "./paths.js";
import { projectFiles, type ProjectFiles } from "./project-files.js";
import { schemaDiagnostics, type SchemaMemo } from "./schema-check.js";
import { danglingReferences } from "./references.js";
import { placeSchemaFindings } from "./property-location.js";
import { OUTSIDE_PROJECT } from "./outside-inputs.js";
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
  files: ProjectFiles = projectFiles(),
): Promise<CompileResult> {
  const projectDir = path.resolve(options.projectDir);
  const outDir = options.outDir ? path.resolve(options.outDir) : path.join(projectDir, "dist", "watchkeeper");
  const now = options.now ?? new Date();
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  const finish = (manifest: CompileResult["manifest"] = null, bundle: string | null = null): CompileResult => {
    const all = sortDiagnostics(dedupe(diagnostics));
    // In pipeline order, whichever step finished first (the type check runs beside the others).
    const ordered = Object.fromEntries(Object.entries(timings).sort(([a], [b]) => stepOrder(a) - stepOrder(b)));
    return { ok: !hasErrors(all), diagnostics: all, manifest, bundle, outDir, timings: ordered };
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
  // monitors.mjs is built whenever it is written or asked for (`wk validate` does not need it). With
  // a predicate (`wk plan`: only summary functions need it) and nothing written, it waits for the
  // validated manifest.
  const bundleIf = options.write === false && typeof options.bundle === "function" ? options.bundle : null;
  const wantBundle = options.write !== false || (options.bundle !== false && bundleIf === null);
  const loadKey = cache ? loadCacheKey(projectDir, sdk) : "";
  const planFor = (configFile: string, modules: string[], secrets: string[] | null) =>
    planLoad(cache, loadKey, projectDir, [configFile, ...modules].map((f) => relativePath(projectDir, f)), secrets, files);
  const startBundles = (roots: { configFile: string; modules: string[] }, plan: LoadPlan, dir: string) => {
    // The load bundle holds the config and the modules whose cached load is stale; none when all are fresh.
    const load = plan.stale.length === 0 ? null : { configFile: roots.configFile, modules: plan.stale.slice(1).map((f) => path.join(projectDir, f)) };
    return buildBundles(projectDir, load, wantBundle ? roots : null, sdk, dir);
  };
  // The bundles need only the file list: for the likely one (default globs) esbuild starts while
  // the config runs, in a folder of its own; discovery then says whether it was the right list.
  let early: { modules: string; plan: LoadPlan; bundles: ReturnType<typeof buildBundles> } | null = null;
  if (likelyRoots) {
    const [configFile, ...modules] = likelyRoots;
    const earlyDir = path.join(workDir, "early");
    const plan = planFor(configFile!, modules, null);
    // Made at once: esbuild gets the work before the type check's plan takes the thread.
    mkdirSync(earlyDir);
    const bundles = startBundles({ configFile: configFile!, modules }, plan, earlyDir);
    bundles.catch(() => undefined);
    early = { modules: JSON.stringify(modules), plan, bundles };
  }
  // A sandbox child starts now when modules will run (some load is stale, or nothing is cached):
  // the config's run or the load takes it, and Node's start overlaps the bundling. Otherwise the
  // load gets one once discovery says modules will run (below).
  // Listed once, and only when a spare starts: a warm run that loads nothing does not walk the project.
  let folders: string[] | null = null;
  const sandboxFolders = () => (folders ??= sandboxReadable(projectDir, sdk, workDir));
  let spare = (early ? early.plan.stale.length > 0 : cache === null) ? new SandboxSpare(sandboxFolders(), projectDir) : null;
  // Then the type check (its own process) on the same list. The load's work above goes first: it
  // has more steps after it (a sandbox run, the rules) than the check of what changed.
  if (likelyRoots && checker.prefetch) checker.prefetch(likelyRoots);
  try {
    // The likely list is the default globs' listing: a config that keeps them is not listed again.
    const found = await time("discover", () => discover(projectDir, sdk, workDir, options.loadTimeoutMs, cache, likelyRoots?.slice(1) ?? null, spare ?? undefined));
    diagnostics.push(...found.diagnostics);
    if (!found.ok) return finish();
    const { discovery } = found;

    // esbuild works in its own process: both bundles are built while the type check runs. The
    // early build stands unless the config named other globs or other secrets than the cache saw.
    const secrets = [...(discovery.config.secrets ?? [])];
    const earlyStands = early && early.modules === JSON.stringify(discovery.modules) && (!early.plan.state || JSON.stringify(early.plan.state.secrets) === JSON.stringify(secrets));
    const plan = earlyStands ? early!.plan : planFor(discovery.configFile, discovery.modules, secrets);
    const bundles = earlyStands ? early!.bundles : startBundles(discovery, plan, workDir);
    // The config's run took the spare: the load gets another while its bundle builds.
    if (plan.stale.length > 0 && !spare?.waiting) spare = new SandboxSpare(sandboxFolders(), projectDir);
    const loadBundle = bundles.then((b) => b.load);
    // A bundle asked for only once the manifest is known: one more esbuild build, of monitors.mjs alone.
    const monitorsBundle = (manifest: Manifest | null): Promise<MonitorBundle | null> =>
      bundleIf === null ? bundles.then((b) => b.monitors) : manifest !== null && bundleIf(manifest) ? buildBundles(projectDir, null, discovery, sdk, workDir).then((b) => b.monitors) : Promise.resolve(null);
    const typechecked = time("typecheck", () => checker.check([discovery.configFile, ...discovery.modules]));
    typechecked.catch(() => undefined);
    // A type error can quote what the checker read from a file outside the project (a literal
    // type, an unknown name): when the bundle refused such a file, that refusal is the report.
    const reported = async (typeErrors: Diagnostic[]): Promise<Diagnostic[]> => {
      if (!hasErrors(typeErrors)) return typeErrors;
      const built = await bundles;
      const outside = [built.load, built.monitors].flatMap((b) => (b && !b.ok ? b.diagnostics.filter((d) => d.code === OUTSIDE_PROJECT) : []));
      return outside.length > 0 ? outside : typeErrors;
    };
    if (!checker.parallel && hasErrors(await typechecked)) {
      diagnostics.push(...(await reported(await typechecked)));
      await bundles;
      return finish();
    }

    // With a worker, loading and validating overlap the type check; their findings count only
    // when the types are sound, since a type error's runtime symptoms would only add noise.
    const later: Diagnostic[] = [];
    const seal = options.manifest !== false || options.write !== false;
    const artifact = await produce(projectDir, discovery, sdk, workDir, now, { loadBundle, monitorsBundle, plan, cache, files, seal, spare, rules: options.rules }, later, time, options.loadTimeoutMs);
    const typeErrors = await reported(await typechecked);
    // The check's own duration: it may have started before discovery (see typechecker.ts).
    if (checker.tookMs !== undefined) timings["typecheck"] = checker.tookMs;
    diagnostics.push(...typeErrors);
    if (hasErrors(typeErrors)) return finish();
    diagnostics.push(...later);
    if (!artifact.manifest || artifact.bundle === null || hasErrors(diagnostics)) return finish(artifact.manifest);
    const { manifest, bundle } = artifact;

    if (options.write !== false) {
      options.beforeWrite?.(manifest);
      await time("write", async () => {
        try {
          // The manifest records the bundle's sha256: the runtime refuses a monitors.mjs from another compile.
          await writeArtifact(outDir, { [MANIFEST_FILE]: canonicalJson(withBundleSeal(manifest, bundle)) + "\n", [BUNDLE_FILE]: bundle });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (!code) throw error;
          throw new UserError(`cannot write the artifact to ${outDir} (${code})`, EXIT.findings, "check that the output folder's parent exists and is writable, or write the artifact elsewhere with `wk compile --out DIR` (and run it with `wk run --artifact DIR`)");
        }
      });
    }
    return finish(manifest, bundle);
  } finally {
    spare?.dispose();
    // An early build nobody used may still be writing into the work folder.
    await early?.bundles.catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}

const STEPS = ["discover", "typecheck", "load", "validate", "synthesize", "write"];
const stepOrder = (step: string) => (STEPS.includes(step) ? STEPS.indexOf(step) : STEPS.length);

/** The schema verdicts of entries seen before (by part hash), and a way to keep this run's. */
function schemaMemo(cache: CompileCache | null, sdk: SdkLocation, partHashes: Map<object, string>): { memo: SchemaMemo; save: () => void } | null {
  if (!cache) return null;
  // The schema is the SDK's: its files are the key.
  const key = sha256(JSON.stringify({ v: 1, sdk: treeFingerprint(sdk.sdkDir) }));
  const stored = cache.read<string[]>("schema", key);
  const memo: SchemaMemo = { valid: new Set(Array.isArray(stored) ? stored : []), hashOf: (entry) => partHashes.get(entry), next: new Set() };
  const save = () => {
    if (memo.next.size === memo.valid.size && [...memo.next].every((h) => memo.valid.has(h))) return;
    cache.write("schema", key, [...memo.next].sort());
  };
  return { memo, save };
}

/**
 * The inputs the rules found clean before (their table is in docs/compiler.md), kept under
 * everything those verdicts depend on: the
 * rules' own code, the SDK's (zoned time), the PromQL grammar's and croner's files, and Node's
 * version with its time-zone data. This run's clean inputs replace them.
 */
function ruleMemo(cache: CompileCache | null, sdk: SdkLocation): { memo: RuleMemo; save: () => void } | null {
  if (!cache) return null;
  let key: string;
  try {
    const rulesDir = path.join(path.dirname(sdk.sdkDir), "cli", "rules");
    // The packages' folders (each entry is dist/NAME.*).
    const resolve = createRequire(path.join(sdk.packageRoot, "package.json")).resolve;
    const [grammar, croner] = ["@prometheus-io/lezer-promql", "croner"].map((name) => path.dirname(path.dirname(resolve(name))));
    key = sha256(
      JSON.stringify({
        v: 3,
        rules: treeFingerprint(rulesDir),
        sdk: treeFingerprint(sdk.sdkDir),
        grammar: treeFingerprint(grammar!),
        croner: treeFingerprint(croner!),
        node: process.version,
        tz: process.versions.tz ?? null,
      }),
    );
  } catch {
    return null;
  }
  // Per rule, the inputs found clean. An input that is already a content hash (a source's, an
  // entry's) is kept as it is: hashing thousands of them again cost more than the checks saved.
  const stored = cache.read<Record<string, string[]>>("rules", key);
  const known = new Map<string, Set<string>>();
  if (stored && typeof stored === "object" && !Array.isArray(stored)) {
    for (const [rule, inputs] of Object.entries(stored)) if (Array.isArray(inputs)) known.set(rule, new Set(inputs.filter((i) => typeof i === "string")));
  }
  const next = new Map<string, Set<string>>();
  const id = (input: string) => (CONTENT_HASH.test(input) ? input : sha256(input));
  const keep = (rule: string, input: string) => {
    let inputs = next.get(rule);
    if (!inputs) next.set(rule, (inputs = new Set()));
    inputs.add(input);
  };
  const memo: RuleMemo = {
    clean: (rule, input) => {
      const key = id(input);
      if (!known.get(rule)?.has(key)) return false;
      keep(rule, key);
      return true;
    },
    remember: (rule, input) => keep(rule, id(input)),
  };
  const save = () => {
    const same = next.size === known.size && [...next].every(([rule, inputs]) => inputs.size === known.get(rule)?.size && [...inputs].every((i) => known.get(rule)!.has(i)));
    if (same) return;
    cache.write("rules", key, Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rule, inputs]) => [rule, [...inputs].sort()])));
  };
  return { memo, save };
}

const CONTENT_HASH = /^[0-9a-f]{64}$/;

type Timer = <T>(step: string, run: () => T | Promise<T>) => Promise<T>;

/** load -> validate -> synthesize; findings go to `diagnostics`. */
async function produce(
  projectDir: string,
  discovery: Discovery,
  sdk: SdkLocation,
  workDir: string,
  now: Date,
  load: { loadBundle: Promise<LoadBundle | null>; monitorsBundle: (manifest: Manifest | null) => Promise<MonitorBundle | null>; plan: LoadPlan; cache: CompileCache | null; files: ProjectFiles; seal: boolean; spare: SandboxSpare | null; rules: readonly string[] | undefined },
  diagnostics: Diagnostic[],
  time: Timer,
  loadTimeoutMs: number | undefined,
): Promise<{ manifest: Manifest | null; bundle: string | null }> {
  const { loadBundle, monitorsBundle, plan, cache, files, seal, spare, rules: only } = load;
  const loaded = await time("load", async () => {
    const bundle = await loadBundle;
    if (bundle && !bundle.ok) {
      diagnostics.push(...bundle.diagnostics);
      return null;
    }
    const result = await loadProject(projectDir, discovery, bundle, sdk, workDir, plan, cache, files, loadTimeoutMs, spare ?? undefined);
    diagnostics.push(...result.diagnostics);
    return result.loaded;
  });
  if (!loaded) {
    await monitorsBundle(null);
    return { manifest: null, bundle: null };
  }

  // Some definitions could not be synthesized (WK4001): the rest are validated, with rules that
  // trip over a reference to a missing one stepping aside, as after a schema error.
  const partial = hasErrors(diagnostics);
  const manifest = await time("validate", async () => {
    // Synthesized in the sandbox (getters and proxies ran there); here it is plain data. The
    // content hash (a canonical serialization of the whole manifest) only for a caller that keeps it.
    const sealed = seal ? sealManifest(loaded.manifest) : ({ ...loaded.manifest, hash: "" } as Manifest);
    const memo = schemaMemo(cache, sdk, loaded.partHashes);
    const columns = loaded.columns;
    const schema = await placeSchemaFindings([...schemaDiagnostics(sealed, memo?.memo), ...(partial ? [] : danglingReferences(sealed))], loaded.sources, columns, loaded.config.secrets ?? []);
    memo?.save();
    diagnostics.push(...schema);
    const locate = (entry: { source: string }) => ({ ...parseSource(entry.source), column: columns.get(entry.source) ?? null });
    const rules = ruleMemo(cache, sdk);
    const hashes = {
      source: (file: string) => files.hash(path.join(projectDir, file)) ?? undefined,
      entry: (value: object) => loaded.partHashes.get(value),
    };
    const context = { manifest: loaded.manifest, config: loaded.config, sources: loaded.sources, now, locate, hashes, ...(rules ? { memo: rules.memo } : {}) };
    diagnostics.push(...runRules(context, CONFIG_FILE, partial || schema.length > 0, only));
    rules?.save();
    return partial || schema.length > 0 || !seal ? null : sealed;
  });
  if (!manifest || hasErrors(diagnostics)) {
    await monitorsBundle(null);
    return { manifest, bundle: null };
  }

  const bundle = await time("synthesize", async () => {
    const built = await monitorsBundle(manifest);
    if (!built) return null;
    if (!built.ok) diagnostics.push(...built.diagnostics);
    return built.ok ? built.text : null;
  });
  return { manifest, bundle };
}
