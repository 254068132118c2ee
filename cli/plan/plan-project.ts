import { readFile, realpath } from "node:fs/promises";
import { basename, isAbsolute, join, relative, sep } from "node:path";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { isInside } from "../compiler/paths.js";
import type { CompileResult } from "../compiler/types.js";
import { baseFromFile, bundleBeside, prepareGitBase, type BaseCompileFn, type CompileFn, type PreparedGitBase } from "./base-source.js";
import { buildPlan } from "./build-plan.js";
import { readMonitorSources, withCodeChanges, type SourceReader } from "./code-sources.js";
import { diffMonitors } from "./manifest-diff.js";
import { previewSummaries } from "./summary-preview.js";
import type { Plan } from "./types.js";

/** Which base to compare with. */
export type BaseSpec = { kind: "git"; ref: string } | { kind: "file"; path: string } | { kind: "stack"; stackName: string } | { kind: "empty" };

/** Reads the manifest a stack records as deployed (null: nothing deployed); base problems are user errors. */
export type StackReader = (stackName: string) => Promise<Manifest | null>;

export interface PlanProjectOptions {
  projectDir: string;
  base: BaseSpec;
  compile: CompileFn;
  /**
   * Compiles the git base; default `compile` without the type check. One after the other on purpose: the compiler already
   * type-checks in a process of its own beside loading, and two overlapping compiles measured slower on 2 cores (only the
   * base's checkout runs beside the working tree's compile).
   */
  compileBase?: BaseCompileFn;
  /** Folder caching git-base compiles by content (e.g. `.watchkeeper/plan-cache`); null disables. */
  baseCacheDir?: string | null;
  /** Needed for a `stack` base: the command passes the Automation API reader. */
  readStack?: StackReader;
  now: Date;
  clock?: () => number;
}

/** Wall time of each step, in milliseconds. */
export interface PlanProjectTimings {
  compileHead: number;
  compileBase: number;
  /** Running the previewed summary functions in the sandbox (0 when none is previewed). */
  summaries: number;
  mockRuns: number;
  diff: number;
}

export type PlanProjectResult =
  | { ok: true; plan: Plan; target: Manifest; base: Manifest | null; timings: PlanProjectTimings }
  /** The working tree does not compile: its diagnostics are the answer. */
  | { ok: false; head: CompileResult };

interface LoadedBase {
  manifest: Manifest | null;
  /** The base's compiled monitors.mjs, when it has one; otherwise why not. */
  bundle: string | null;
  noBundle?: string;
  /** The base's source files, when it has them (a git base), for the diff of monitor code. */
  readSource: SourceReader | null;
}

/** The rules a git base is held to: the diff matches entries by id. */
export const BASE_RULES: readonly string[] = ["unique-ids"];

/** Compiles the working tree and the base, then plans. Base problems are thrown as user errors. */
export async function planProject(options: PlanProjectOptions): Promise<PlanProjectResult> {
  const clock = options.clock ?? (() => performance.now());
  // The git base is committed code that was validated when it merged: its manifest is all the plan
  // needs, so it is loaded and checked against the schema without the TypeScript check (about half
  // its cost) and with only the rule the diff relies on (ids are unique). A base that breaks a rule
  // added since, or that holds the leaked token the pull request removes, must still plan.
  const compileBase = options.compileBase ?? ((dir) => options.compile(dir, { typecheck: false, rules: BASE_RULES }));
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const t0 = clock();
    const value = await work();
    return [value, clock() - t0];
  };
  // While the working tree compiles, git checks the base out (a process of its own, mostly file
  // system work). The checkout is removed whatever happens.
  const git = options.base.kind === "git" ? options.base : null;
  const cacheDir = git ? (options.baseCacheDir ?? null) : null;
  const preparing = git ? prepareGitBase(options.projectDir, git.ref, cacheDir) : null;
  preparing?.catch(() => undefined);
  const release = async () => (await preparing?.catch(() => null))?.release();
  // The base compiles beside the working tree: each spends much of its time waiting on its own
  // processes (esbuild, the module loader, tsc), which the other fills. The base's problems
  // count only once the working tree compiled.
  const baseLoaded = timed(() => baseOf(options, compileBase, preparing));
  baseLoaded.catch(() => undefined);
  const settle = async () => {
    await baseLoaded.catch(() => null);
    await release();
  };
  let head: CompileResult;
  let compileHead: number;
  try {
    [head, compileHead] = await timed(() => options.compile(options.projectDir));
  } catch (error) {
    await settle();
    throw error;
  }
  if (!head.ok || !head.manifest) {
    await settle();
    return { ok: false, head };
  }
  try {
    const [base, compileBaseMs] = await baseLoaded;
    const baseSource = sourceOf(options.base, options.projectDir);
    // Summary functions run before the (pure) plan is built: their texts are one of its inputs.
    const [summaries, summariesMs] = await timed(() =>
      previewSummaries({
        target: { manifest: head.manifest!, bundle: head.bundle },
        base: base.manifest ? { manifest: base.manifest, bundle: base.bundle, ...(base.noBundle ? { noBundle: base.noBundle } : {}) } : null,
        monitors: diffMonitors(base.manifest, head.manifest!),
      }),
    );
    const { plan, timings } = await buildPlan({ base: base.manifest, baseSource, target: head.manifest, now: options.now, summaries }, clock);
    const readHead: SourceReader = (file) => readProjectFile(options.projectDir, file);
    const withCode = { ...plan, monitors: await codeChanges(plan.monitors, base, head.manifest, readHead) };
    return { ok: true, plan: withCode, target: head.manifest, base: base.manifest, timings: { compileHead, compileBase: compileBaseMs, summaries: summariesMs, ...timings } };
  } finally {
    await settle();
  }
}

/** The source diff of monitors whose code changed, read from both sides' files (parsed, not run). */
async function codeChanges(monitors: Plan["monitors"], base: LoadedBase, target: Manifest, readHead: SourceReader): Promise<Plan["monitors"]> {
  const changed = new Set(monitors.filter((m) => m.action === "change" && m.changes.some((c) => c.path === "codeHash")).map((m) => m.id));
  if (changed.size === 0 || !base.readSource || !base.manifest) return monitors;
  const pick = (manifest: Manifest) => manifest.monitors.filter((m) => changed.has(m.id));
  const [before, after] = [await readMonitorSources(pick(base.manifest), base.readSource), await readMonitorSources(pick(target), readHead)];
  return withCodeChanges(monitors, base.manifest, target, before, after);
}

/**
 * A project file's text for the code diff, or null. The file is named by a monitor's `source`,
 * which the sandbox child reports and a module there can forge: a path or a link that leads out of
 * the project (another checkout on the runner), or into its `.git`, is not read.
 */
async function readProjectFile(projectDir: string, file: string): Promise<string | null> {
  try {
    const [root, real] = await Promise.all([realpath(projectDir), realpath(join(projectDir, file))]);
    if (!isInside(root, real) || relative(root, real).split(sep).includes(".git")) return null;
    return await readFile(real, "utf8");
  } catch {
    return null;
  }
}

function sourceOf(base: BaseSpec, projectDir: string): Omit<Plan["base"], "hash"> {
  switch (base.kind) {
    case "git":
      return { kind: "git", ref: base.ref };
    case "file":
      return { kind: "file", ref: shownManifestPath(base.path, projectDir) };
    case "stack":
      return { kind: "stack", ref: base.stackName };
    case "empty":
      return { kind: "empty", ref: null };
  }
}

/**
 * The base manifest as the plan names it: relative to the project (`.watchkeeper/deployed-manifest.json`)
 * when it is inside it, by its name alone otherwise. The plan is a pull request's comment: the CI
 * machine's folders are not the reader's business, and the same plan reads the same on every machine.
 */
function shownManifestPath(file: string, projectDir: string): string {
  const inside = relative(projectDir, file);
  return inside === "" || inside.startsWith("..") || isAbsolute(inside) ? basename(file) : inside.split(sep).join("/");
}

async function baseOf(options: PlanProjectOptions, compileBase: BaseCompileFn, preparing: Promise<PreparedGitBase> | null): Promise<LoadedBase> {
  switch (options.base.kind) {
    case "git": {
      const prepared = await preparing!;
      const base = await prepared.compile(compileBase);
      // The checkout goes while the plan goes on; planProject waits for it before it returns.
      void prepared.release();
      return base;
    }
    case "file": {
      const bundle = await bundleBeside(options.base.path);
      return {
        manifest: await baseFromFile(options.base.path),
        readSource: null,
        bundle,
        ...(bundle === null ? { noBundle: `the base ${basename(options.base.path)} has no compiled monitors.mjs beside it, so the base's summary text is unknown` } : {}),
      };
    }
    case "stack": {
      if (!options.readStack) throw new Error("a stack base needs readStack");
      const noBundle = `the base is what stack ${options.base.stackName} records as deployed: its manifest, without the compiled monitors.mjs, so the base's summary text is unknown`;
      return { manifest: await options.readStack(options.base.stackName), readSource: null, bundle: null, noBundle };
    }
    case "empty":
      return { manifest: null, readSource: null, bundle: null };
  }
}
