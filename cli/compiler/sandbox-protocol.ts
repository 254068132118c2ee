import { z } from "zod";
import type { SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";
import type { UnreachedConstruct } from "./unexported.js";

/**
 * What the compiler and the loader child say to each other over the IPC channel. Every message
 * from the child carries the run's nonce, which the child receives over IPC after it starts: a
 * module's own `process.send` cannot forge a result without it.
 */

/**
 * The request's kind. `config` loads watchkeeper.config.ts alone (discovery); `project` loads the
 * config and every module; `tests` loads `wk test --unit`'s test modules; `summaries` imports
 * compiled monitors.mjs bundles and calls summary functions on a sample (`wk plan`'s preview).
 */
export type LoadMode = "config" | "project" | "tests" | "summaries";

/** The parent's first and only message to the child. */
export interface LoadRequest {
  nonce: string;
  mode: LoadMode;
  projectDir: string;
  sdk: SdkLocation;
  /** The bundle being run and its source map, both in the compile's work folder. */
  bundleFile: string;
  mapFile: string | null;
  /** What a loader other than the compiler's needs beyond this (a `summaries` request's calls); its loader reads it. */
  job?: unknown;
}

/** Sent before each module runs, so a time limit or an exit can name the module. */
export interface LoadingMessage {
  nonce: string;
  type: "loading";
  file: string;
}

/** One construct as the manifest holds it: its list, its entry, and the column where it was made. */
export type ManifestPart = [section: string, entry: Record<string, unknown>, column: number | null];

/**
 * The manifest in parts (project mode, when the config loaded): each construct synthesized once,
 * and for each file that loaded (the config included) the constructs its exports reach; a module
 * that threw is not among them. The compiler assembles the manifest from these parts, and keeps
 * each module's parts in the load cache.
 */
export interface ProjectParts {
  /** The manifest of the config alone: project, secrets, settings, every list empty. */
  skeleton: Record<string, unknown>;
  parts: ManifestPart[];
  /** Per file, indexes into `parts` (twice for two constructs with the same entry). */
  modules: [file: string, parts: number[]][];
  /** Constructs made while loading that no export reached (see unexported.ts). */
  unreached: UnreachedConstruct[];
}

/** The plain-data outcome of a load: everything the compiler needs, no live objects. */
export interface LoadResult {
  /** The config's default export as data (functions dropped), or null when it has none or throws. */
  config: Record<string, unknown> | null;
  /** True when watchkeeper.config.ts has a default export. */
  configExported: boolean;
  project: ProjectParts | null;
  diagnostics: Diagnostic[];
}

export interface ResultMessage extends LoadResult {
  nonce: string;
  type: "result";
}

const diagnosticShape = z.object({
  severity: z.enum(["error", "warning", "notice"]),
  code: z.string(),
  message: z.string(),
  hint: z.string().nullable(),
  file: z.string().nullable(),
  line: z.number().nullable(),
  column: z.number().nullable(),
});
const resultShape = z.object({
  type: z.literal("result"),
  config: z.record(z.string(), z.unknown()).nullable(),
  configExported: z.boolean(),
  // Checked by hand below: zod over ~15,000 tuple members cost a quarter of a second.
  project: z.unknown(),
  diagnostics: z.array(diagnosticShape),
});

/**
 * Reads a result message from the child. The child runs the project's code, so its answer is
 * input like any other: checked for shape, and for plain data (the manifest is hashed and the
 * config is read by rules; a value that contains itself would crash both).
 */
export function parseLoadResult(message: unknown): LoadResult | null {
  const parsed = resultShape.safeParse(message);
  if (!parsed.success) return null;
  const { config, configExported, diagnostics } = parsed.data;
  const project = parsed.data.project === null ? null : projectParts(parsed.data.project);
  if (project === undefined || !isPlainData(config) || !isPlainData(project)) return null;
  return { config, configExported, project, diagnostics };
}

/** The project's parts as the child sent them, or undefined for anything of another shape. */
function projectParts(value: unknown): ProjectParts | undefined {
  const record = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!record(value) || !record(value["skeleton"]) || !Array.isArray(value["parts"]) || !Array.isArray(value["modules"])) return undefined;
  const parts = value["parts"] as unknown[];
  for (const part of parts) {
    if (!Array.isArray(part) || part.length !== 3 || typeof part[0] !== "string" || !record(part[1]) || !(part[2] === null || typeof part[2] === "number")) return undefined;
  }
  for (const module of value["modules"] as unknown[]) {
    if (!Array.isArray(module) || module.length !== 2 || typeof module[0] !== "string" || !Array.isArray(module[1])) return undefined;
    for (const i of module[1] as unknown[]) if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= parts.length) return undefined;
  }
  const unreached = value["unreached"];
  if (!Array.isArray(unreached) || !unreached.every(isUnreached)) return undefined;
  return { skeleton: value["skeleton"], parts: parts as ManifestPart[], modules: value["modules"] as [string, number[]][], unreached };
}

const unreachedShape = z.object({
  module: z.string(),
  section: z.string(),
  kind: z.string(),
  type: z.string().nullable(),
  id: z.string(),
  file: z.string(),
  line: z.number(),
  column: z.number().nullable(),
});

/** True for a dropped construct as the loader describes it (the load cache keeps these too). */
export function isUnreached(value: unknown): value is UnreachedConstruct {
  return unreachedShape.safeParse(value).success;
}

/** True for JSON-shaped values (and `undefined` fields) without cycles. */
export function isPlainData(value: unknown): boolean {
  const path = new Set<object>();
  const visit = (v: unknown): boolean => {
    if (v === null || v === undefined || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return true;
    if (typeof v !== "object") return false;
    if (path.has(v)) return false;
    path.add(v);
    const ok = Array.isArray(v) ? v.every(visit) : Object.values(v).every(visit);
    path.delete(v);
    return ok;
  };
  return visit(value);
}
