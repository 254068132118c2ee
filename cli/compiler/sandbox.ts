import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import type { WrittenBundle } from "./evaluate.js";
import type { SdkLocation } from "./paths.js";
import { parseLoadResult, type LoadMode, type LoadRequest, type LoadResult } from "./sandbox-protocol.js";

/** Loading gets this long when neither the project nor the environment says otherwise. */
export const DEFAULT_LOAD_TIMEOUT_MS = 30_000;

/** How much of the child's own output is kept for a diagnostic (the end of it). */
const OUTPUT_LIMIT = 4_000;

export interface SandboxRun {
  mode: LoadMode;
  projectDir: string;
  sdk: SdkLocation;
  workDir: string;
  bundle: WrittenBundle;
  timeoutMs: number;
  /** Names of the declared secrets: the child sees `PLACEHOLDER_<NAME>` for each, nothing else. */
  secrets: readonly string[];
  /**
   * What the child may read, when not the project, the package and the work folder: a request
   * that needs only the work folder (compiled bundles copied there) gets only that.
   */
  readable?: readonly string[];
  /** The request's payload for loaders other than the compiler's (see LoadRequest.job). */
  job?: unknown;
}

/** How a load ended, as the parent alone judges it. */
export type SandboxOutcome<R = LoadResult> =
  | { kind: "result"; result: R }
  | { kind: "timeout"; loading: string | null; output: string }
  | { kind: "ended"; loading: string | null; code: number | null; signal: string | null; output: string }
  | { kind: "unreadable"; loading: string | null; output: string };

/**
 * Runs a load bundle in a disposable child process under Node's permission model: it may read the
 * project, the package's own files and the work folder, and nothing else; it cannot write, start
 * processes or workers, or load addons; its environment holds placeholders only. The child is
 * killed (SIGKILL) when it answers, or at the time limit.
 */
export function runSandbox(run: SandboxRun): Promise<SandboxOutcome>;
/** The same sandbox for another loader (`wk test --unit` loads test modules): its answer read by `parse`. */
export function runSandbox<R>(run: SandboxRun, parse: (message: unknown) => R | null): Promise<SandboxOutcome<R>>;
export function runSandbox(run: SandboxRun, parse: (message: unknown) => unknown = parseLoadResult): Promise<SandboxOutcome<unknown>> {
  const nonce = randomBytes(16).toString("hex");
  const readable = run.readable ?? [run.projectDir, run.sdk.packageRoot, run.workDir];
  const args = [...permissionFlags(process.versions.node, [...readable]), run.bundle.file];
  const child = spawn(process.execPath, args, {
    // A relative path the child opens resolves inside what it may read.
    cwd: run.readable ? run.workDir : run.projectDir,
    env: placeholderEnv(run.secrets),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let loading: string | null = null;

  return new Promise<SandboxOutcome<unknown>>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: SandboxOutcome<unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "timeout", loading, output: shown(output) }), run.timeoutMs);
    child.on("message", (message: unknown) => {
      const m = message as { nonce?: unknown; type?: unknown; file?: unknown };
      if (m?.nonce !== nonce) return;
      if (m.type === "loading" && typeof m.file === "string") loading = m.file;
      if (m.type !== "result") return;
      const result = parse(message);
      finish(result ? { kind: "result", result } : { kind: "unreadable", loading, output: shown(output) });
    });
    // "close" rather than "exit": the last output and messages have arrived by then.
    child.on("close", (code, signal) => finish({ kind: "ended", loading, code, signal, output: shown(output) }));
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`cannot start the module loader (${process.execPath}): ${error.message}`));
    });
    const request: LoadRequest = {
      nonce,
      mode: run.mode,
      projectDir: run.projectDir,
      sdk: run.sdk,
      bundleFile: run.bundle.file,
      mapFile: run.bundle.mapFile,
      ...(run.job !== undefined ? { job: run.job } : {}),
    };
    child.send(request, (error) => {
      // The child may already be gone (a module ended it at once); "close" reports that.
      void error;
    });
  });
}

/** The sandbox's heap limit in MiB. */
export const SANDBOX_HEAP_MB = 2048;

/**
 * Node's permission flags: `--permission` from Node 22.13 and 23.5, `--experimental-permission`
 * before. Each readable folder is its own flag (a comma-separated list is no longer accepted).
 */
export function permissionFlags(nodeVersion: string, readable: string[]): string[] {
  const [major = 0, minor = 0] = nodeVersion.split(".").map(Number);
  const stable = major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13);
  const folders = new Set<string>();
  for (const dir of readable) {
    folders.add(dir);
    // The permission model compares real paths; a temp folder behind a symlink needs both.
    try {
      folders.add(realpathSync(dir));
    } catch {
      continue;
    }
  }
  return [
    stable ? "--permission" : "--experimental-permission",
    ...[...folders].map((dir) => `--allow-fs-read=${dir}`),
    "--no-addons",
    // A module that allocates without end must fail its own load (a WK2006 diagnostic), not take
    // the CI machine's memory: 2 GiB is ten times what a 1,000-monitor project needs.
    `--max-old-space-size=${SANDBOX_HEAP_MB}`,
    "--disable-warning=ExperimentalWarning",
  ];
}

/**
 * The child's whole environment. Node needs none of it; a module that reads a declared secret
 * from `process.env` gets a placeholder that names it, never the value (and no-process-env flags
 * the read).
 */
export function placeholderEnv(secrets: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of secrets) if (/^[A-Z][A-Z0-9_]*$/.test(name)) env[name] = `PLACEHOLDER_${name}`;
  return env;
}

/** The child's output as a diagnostic may quote it: Node's stack frames and warnings left out. */
function shown(output: string): string {
  return output
    .split("\n")
    .filter((line) => !/^\s+at /.test(line) && !/ExperimentalWarning|--trace-warnings/.test(line))
    .join("\n")
    .trim();
}
