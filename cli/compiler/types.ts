import type { Manifest } from "../../sdk/manifest/schema.js";

export type Severity = "error" | "warning" | "notice";

/** A problem found in the user's project: reported together with all others, never thrown. */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `WK1001` or a rule name such as `unique-ids`. */
  code: string;
  message: string;
  /** What to do about it. */
  hint: string | null;
  /** Path relative to the project folder. */
  file: string | null;
  line: number | null;
  column: number | null;
}

export interface CompileOptions {
  projectDir: string;
  /** Default: PROJECT/dist/watchkeeper */
  outDir?: string;
  /** Write manifest.json and monitors.mjs when the compile is clean (default true). */
  write?: boolean;
  /**
   * Build monitors.mjs when nothing is written (default true). `wk validate` needs only the manifest
   * and its diagnostics, and skips bundling every module a second time. A function of the validated
   * manifest builds it only when it says so (`wk plan`: only a project with summary functions needs
   * it, for their preview); it is then one more esbuild build after validation instead of a second
   * output of the first.
   */
  bundle?: boolean | ((manifest: Manifest) => boolean);
  /**
   * Seal the manifest with its content hash and return it (default true). `wk validate` prints
   * diagnostics only: it says false, and the result's `manifest` is null. A compile that writes
   * seals whatever this says.
   */
  manifest?: boolean;
  /** Evaluation time for time-dependent rules such as on-call coverage (default: the clock). */
  now?: Date;
  /**
   * Run the TypeScript type check (default true). `wk plan` turns it off for a git base: committed
   * code was validated when it merged, and the plan needs only the base's manifest.
   */
  typecheck?: boolean;
  /**
   * The rules to run, by name (default: all). `wk plan` runs only `unique-ids` on a git base: the
   * diff matches entries by id, and nothing else a rule says about the base changes the plan.
   */
  rules?: readonly string[];
  /**
   * Use the compile cache (default true; `WK_CACHE=off` also turns it off): the type check skips
   * files unchanged since a clean check. See compile-cache.ts.
   */
  cache?: boolean;
  /** Time limit for loading the project's modules in the sandbox; overrides the config's `load.timeout`. */
  loadTimeoutMs?: number;
  /**
   * Called with the sealed manifest of a clean compile before the artifact is written; what it
   * throws ends the compile with nothing written (`wk compile --plan` refuses a manifest that is
   * not the reviewed plan's target).
   */
  beforeWrite?: (manifest: Manifest) => void;
}

export interface CompileResult {
  /** True when no error diagnostic exists. */
  ok: boolean;
  diagnostics: Diagnostic[];
  manifest: Manifest | null;
  /** Source of monitors.mjs. */
  bundle: string | null;
  outDir: string;
  /** Milliseconds per pipeline step (discover, typecheck, load, validate, synthesize, write). */
  timings: Record<string, number>;
}
