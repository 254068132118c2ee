import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256, treeFingerprint, type CompileCache } from "./compile-cache.js";
import type { SdkLocation } from "./paths.js";
import { locateNativeTsc } from "./tsc-native.js";
import { checkerTsconfig, typecheck } from "./typecheck.js";
import { planTypecheck } from "./typecheck-cache.js";
import { projectFiles, type ProjectFiles } from "./project-files.js";
import type { Diagnostic } from "./types.js";

/** The type-check step: TypeScript 7 in its own process, beside loading and validating. */
export interface Typechecker {
  /** True when `check` runs beside the main thread (its result arrives later). */
  readonly parallel: boolean;
  /**
   * Starts checking `files` before discovery has the real list; `check` with the same files
   * takes this result, any other list is checked on its own.
   */
  prefetch?(files: string[]): void;
  check(files: string[]): Promise<Diagnostic[]>;
  /** How long the check that `check` answered with took, from its own start (ms). */
  readonly tookMs?: number;
  close(): Promise<void>;
}

/**
 * The native tsc is a process of its own, so the check always overlaps the load; with
 * `prefetch` it also overlaps discovery (running the config), for projects with default globs.
 * With a cache, files unchanged since a clean check are not checked again (typecheck-cache.ts).
 */
export function startTypechecker(sdk: SdkLocation, projectDir: string, cache: CompileCache | null = null, files: ProjectFiles = projectFiles()): Typechecker {
  // A compile that ends early (a broken config) does not leave a check running behind it.
  const stop = new AbortController();
  const took = new Map<Promise<Diagnostic[]>, number>();
  let answered: Promise<Diagnostic[]> | null = null;
  const timed = (files: string[]) => {
    const start = performance.now();
    const result = run(files);
    result.then(
      () => took.set(result, Math.round(performance.now() - start)),
      () => undefined,
    );
    return result;
  };
  const run = async (roots: string[]): Promise<Diagnostic[]> => {
    const tsc = locateNativeTsc();
    const options = checkerTsconfig(projectDir, sdk);
    const key = sha256(JSON.stringify({ v: 1, tsc: tsc.version, options, sdk: treeFingerprint(sdk.sdkDir), deps: dependencyFingerprint(projectDir, options) }));
    const plan = planTypecheck(cache, key, roots, files);
    if (plan.kind === "clean") return [];
    const diagnostics = await typecheck(projectDir, plan.roots, sdk, tsc, stop.signal);
    if (diagnostics.length === 0) plan.save();
    return diagnostics;
  };
  let early: { files: string; result: Promise<Diagnostic[]> } | null = null;
  return {
    parallel: true,
    prefetch(files) {
      const result = timed(files);
      result.catch(() => undefined);
      early = { files: JSON.stringify(files), result };
    },
    check(files) {
      answered = early && early.files === JSON.stringify(files) ? early.result : timed(files);
      return answered;
    },
    get tookMs() {
      return answered ? took.get(answered) : undefined;
    },
    async close() {
      stop.abort();
    },
  };
}

/** No type check: for sources already validated (a plan's git base). */
export function skipTypecheck(): Typechecker {
  return { parallel: false, check: async () => [], close: async () => {} };
}

/**
 * What installed packages a project's types can come from: its package.json, lockfiles, npm's
 * record of node_modules, and Node's types. A reinstall or upgrade changes one of them.
 */
function dependencyFingerprint(projectDir: string, options: Record<string, unknown>): string {
  const files = ["package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "node_modules/.package-lock.json"].map((f) => path.join(projectDir, f));
  for (const root of (options["typeRoots"] as string[] | undefined) ?? []) files.push(path.join(root, "node", "package.json"));
  return sha256(
    files
      .map((file) => {
        try {
          return `${file}:${sha256(readFileSync(file))}`;
        } catch {
          return `${file}:-`;
        }
      })
      .join("\n"),
  );
}
