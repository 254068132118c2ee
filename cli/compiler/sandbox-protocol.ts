import { z } from "zod";
import type { Location } from "./diagnostic.js";
import type { SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";

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

/** The plain-data outcome of a load: everything the compiler needs, no live objects. */
export interface LoadResult {
  /** The config's default export as data (functions dropped), or null when it has none or throws. */
  config: Record<string, unknown> | null;
  /** True when watchkeeper.config.ts has a default export. */
  configExported: boolean;
  /** The synthesized manifest without its hash (project mode, when every module loaded). */
  manifest: Record<string, unknown> | null;
  /** Where each construct was made (for diagnostic columns). */
  locations: Location[];
  diagnostics: Diagnostic[];
}

export interface ResultMessage extends LoadResult {
  nonce: string;
  type: "result";
}

const location = z.object({ file: z.string().nullable(), line: z.number().nullable(), column: z.number().nullable() });
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
  manifest: z.record(z.string(), z.unknown()).nullable(),
  locations: z.array(location),
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
  const { config, configExported, manifest, locations, diagnostics } = parsed.data;
  if (!isPlainData(config) || !isPlainData(manifest)) return null;
  return { config, configExported, manifest, locations, diagnostics };
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
