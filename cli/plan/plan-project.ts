import type { Manifest } from "../../sdk/manifest/schema.js";
import type { CompileResult } from "../compiler/types.js";
import { baseFromFile, baseFromGitRef, inThread, type BaseCompileFn, type CompileFn } from "./base-source.js";
import { readCachedResources, writeCachedResources } from "./base-cache.js";
import { buildPlan } from "./build-plan.js";
import type { RegisteredResource } from "./mock-run.js";
import type { Plan } from "./types.js";

/** Which base to compare with. */
export type BaseSpec = { kind: "git"; ref: string } | { kind: "file"; path: string } | { kind: "empty" };

export interface PlanProjectOptions {
  projectDir: string;
  base: BaseSpec;
  compile: CompileFn;
  /**
   * Compiles the git base; default `compile` without the type check. One after the other on purpose: the compiler already
   * type-checks on a worker beside loading, and two overlapping compiles measured slower on 2 cores.
   */
  compileBase?: BaseCompileFn;
  /** Folder caching git-base compiles by content (e.g. `.watchkeeper/plan-cache`); null disables. */
  baseCacheDir?: string | null;
  now: Date;
  clock?: () => number;
}

/** Wall time of each step, in milliseconds. */
export interface PlanProjectTimings {
  compileHead: number;
  compileBase: number;
  mockRuns: number;
  diff: number;
}

export type PlanProjectResult =
  | { ok: true; plan: Plan; target: Manifest; base: Manifest | null; timings: PlanProjectTimings }
  /** The working tree does not compile: its diagnostics are the answer. */
  | { ok: false; head: CompileResult };

interface LoadedBase {
  manifest: Manifest | null;
  resources: RegisteredResource[] | null;
  elapsed: number;
}

/** Compiles the working tree and the base, then plans. Base problems are thrown as user errors. */
export async function planProject(options: PlanProjectOptions): Promise<PlanProjectResult> {
  const clock = options.clock ?? (() => performance.now());
  // The git base is committed code that was validated when it merged: its manifest is all the plan
  // needs, so it is loaded and validated without the TypeScript check (about half its cost).
  const compileBase = options.compileBase ?? inThread((dir) => options.compile(dir, { typecheck: false }));
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const t0 = clock();
    const value = await work();
    return [value, clock() - t0];
  };
  const [head, compileHead] = await timed(() => options.compile(options.projectDir));
  if (!head.ok || !head.manifest) return { ok: false, head };
  const [loaded, compileBaseMs] = await timed(() => baseOf(options, compileBase));
  const base: LoadedBase = { ...loaded, elapsed: compileBaseMs };
  const baseSource =
    options.base.kind === "git"
      ? { kind: "git" as const, ref: options.base.ref }
      : options.base.kind === "file"
        ? { kind: "file" as const, ref: options.base.path }
        : { kind: "empty" as const, ref: null };
  const cacheDir = options.base.kind === "git" ? (options.baseCacheDir ?? null) : null;
  const cachedResources =
    base.resources ?? (cacheDir && base.manifest ? await readCachedResources(cacheDir, base.manifest.hash) : null);
  const { plan, timings, baseResources } = await buildPlan(
    { base: base.manifest, baseSource, target: head.manifest, now: options.now, baseResources: cachedResources },
    clock,
  );
  if (cacheDir && base.manifest && cachedResources === null && baseResources) await writeCachedResources(cacheDir, base.manifest.hash, baseResources);
  return { ok: true, plan, target: head.manifest, base: base.manifest, timings: { compileHead, compileBase: base.elapsed, ...timings } };
}

async function baseOf(options: PlanProjectOptions, compileBase: BaseCompileFn): Promise<{ manifest: Manifest | null; resources: RegisteredResource[] | null }> {
  switch (options.base.kind) {
    case "git":
      return baseFromGitRef(options.projectDir, options.base.ref, compileBase, options.baseCacheDir ?? null);
    case "file":
      return { manifest: await baseFromFile(options.base.path), resources: null };
    case "empty":
      return { manifest: null, resources: null };
  }
}
