import type { Manifest } from "../../sdk/manifest/schema.js";
import type { CompileResult } from "../compiler/types.js";
import { baseFromFile, baseFromGitRef, type CompileFn } from "./base-source.js";
import { buildPlan } from "./build-plan.js";
import type { Plan } from "./types.js";

/** Which base to compare with. */
export type BaseSpec = { kind: "git"; ref: string } | { kind: "file"; path: string } | { kind: "empty" };

export interface PlanProjectOptions {
  projectDir: string;
  base: BaseSpec;
  compile: CompileFn;
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

/** Compiles the working tree and the base, then plans. Base problems are thrown as user errors. */
export async function planProject(options: PlanProjectOptions): Promise<PlanProjectResult> {
  const clock = options.clock ?? (() => performance.now());
  const t0 = clock();
  const head = await options.compile(options.projectDir);
  const t1 = clock();
  if (!head.ok || !head.manifest) return { ok: false, head };
  const base = await loadBase(options);
  const t2 = clock();
  const baseSource =
    options.base.kind === "git"
      ? { kind: "git" as const, ref: options.base.ref }
      : options.base.kind === "file"
        ? { kind: "file" as const, ref: options.base.path }
        : { kind: "empty" as const, ref: null };
  const { plan, timings } = await buildPlan({ base, baseSource, target: head.manifest, now: options.now }, clock);
  return { ok: true, plan, target: head.manifest, base, timings: { compileHead: t1 - t0, compileBase: t2 - t1, ...timings } };
}

async function loadBase(options: PlanProjectOptions): Promise<Manifest | null> {
  switch (options.base.kind) {
    case "git":
      return baseFromGitRef(options.projectDir, options.base.ref, options.compile);
    case "file":
      return baseFromFile(options.base.path);
    case "empty":
      return null;
  }
}
