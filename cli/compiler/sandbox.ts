import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { reservedSecretProblem } from "../../sdk/reserved-secrets.js";
import type { WrittenBundle } from "./evaluate.js";
import { isInside, type SdkLocation } from "./paths.js";
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
  /** A child started ahead for this run's folders: used when it is still waiting, else one is started. */
  spare?: SandboxSpare;
}

/** How a load ended, as the parent alone judges it. */
export type SandboxOutcome<R = LoadResult> =
  | { kind: "result"; result: R }
  | { kind: "timeout"; loading: string | null; output: string }
  | { kind: "memory"; loading: string | null; output: string }
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
  const readable = run.readable ?? sandboxReadable(run.projectDir, run.sdk, run.workDir);
  // A relative path the child opens resolves inside what it may read.
  const cwd = run.readable ? run.workDir : run.projectDir;
  const { child, output: shownOutput } = run.spare?.take(readable, cwd, run.bundle.file, placeholderEnv(run.secrets)) ?? startChild([...permissionFlags(process.versions.node, [...readable]), run.bundle.file], cwd, placeholderEnv(run.secrets));
  let loading: string | null = null;

  return new Promise<SandboxOutcome<unknown>>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: SandboxOutcome<unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      child.kill("SIGKILL");
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "timeout", loading, output: shownOutput() }), run.timeoutMs);
    const watch = watchMemory(child, () => finish({ kind: "memory", loading, output: shownOutput() }));
    child.on("message", (message: unknown) => {
      const m = message as { nonce?: unknown; type?: unknown; file?: unknown };
      if (m?.nonce !== nonce) return;
      if (m.type === "loading" && typeof m.file === "string") loading = m.file;
      if (m.type !== "result") return;
      const result = parse(message);
      finish(result ? { kind: "result", result } : { kind: "unreadable", loading, output: shownOutput() });
    });
    // "close" rather than "exit": the last output and messages have arrived by then.
    child.on("close", (code, signal) => finish({ kind: "ended", loading, code, signal, output: shownOutput() }));
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
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

/** A sandbox child: the process, and its output as a diagnostic may quote it. */
interface SandboxChild {
  child: ChildProcess;
  output: () => string;
}

function startChild(args: string[], cwd: string, env: Record<string, string>): SandboxChild {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced" });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { child, output: () => shown(output) };
}

/**
 * What a spare child runs until it is given its bundle: the placeholders go into its environment,
 * the bundle is imported as the program would have been, and the parent's request, which may
 * arrive while the bundle is still loading, is handed to the loader once it listens. Nothing of
 * the project runs before the bundle's loader has guarded the process, as in a child started on
 * the bundle itself.
 */
const SPARE_BOOT = [
  "const held = [];",
  "const hold = (message) => held.push(message);",
  'process.once("message", (start) => {',
  '  process.on("message", hold);',
  "  for (const [name, value] of Object.entries(start.env)) process.env[name] = value;",
  "  import(start.url).then(() => {",
  '    process.off("message", hold);',
  '    for (const message of held) process.emit("message", message);',
  "  });",
  "});",
].join("\n");

/**
 * A sandbox child started before its bundle is built, so Node's start (about 50 ms) overlaps the
 * bundling instead of following it. It is the same sandbox: the same permission flags and folders,
 * a fresh process used once, an environment of placeholders only. A run takes it only for the
 * folders it was started with; `dispose` ends it when no run took it.
 */
export class SandboxSpare {
  #waiting: SandboxChild | null;

  constructor(
    private readonly readable: readonly string[],
    private readonly cwd: string,
  ) {
    this.#waiting = startChild([...permissionFlags(process.versions.node, [...readable]), "--input-type=module", "--eval", SPARE_BOOT], cwd, {});
    // A child that cannot start is not taken (below); the run then starts its own and reports that.
    this.#waiting.child.on("error", () => undefined);
  }

  /** The waiting child, now running `bundleFile`; null when it was taken, has ended, or is for other folders. */
  take(readable: readonly string[], cwd: string, bundleFile: string, env: Record<string, string>): SandboxChild | null {
    const spare = this.#waiting;
    if (!spare || cwd !== this.cwd || readable.length !== this.readable.length || readable.some((dir, i) => dir !== this.readable[i])) return null;
    this.#waiting = null;
    const { child } = spare;
    if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
      child.kill("SIGKILL");
      return null;
    }
    child.send({ url: pathToFileURL(bundleFile).href, env }, (error) => {
      // The child may already be gone; the run's "close" reports that.
      void error;
    });
    return spare;
  }

  /** True while a child waits to be taken. */
  get waiting(): boolean {
    return this.#waiting !== null;
  }

  /** The waiting child's process id (tests look for it after `dispose`). */
  get pid(): number | undefined {
    return this.#waiting?.child.pid;
  }

  dispose(): void {
    this.#waiting?.child.kill("SIGKILL");
    this.#waiting = null;
  }
}

/** What a sandbox child reads when its run names nothing else: the project (see projectReadable), the package (see packageReadable) and the work folder. */
export function sandboxReadable(projectDir: string, sdk: SdkLocation, workDir: string): string[] {
  return [...projectReadable(projectDir), ...packageReadable(sdk.packageRoot, projectDir), workDir];
}

/**
 * What the sandbox may read of Watchkeeper's own package (the loader, the SDK, their packages in
 * `node_modules`): all of it but a `.git`, and nothing of the project it holds.
 * - Installed from the registry, the package is a folder of the project's `node_modules`: granted
 *   whole.
 * - Run from a checkout of Watchkeeper with the project elsewhere, the checkout is not the pull
 *   request's: granted whole but for its `.git` (its top folder entry by entry).
 * - Run from a checkout that holds the project (this repository compiles its own monitors), the
 *   whole checkout is the pull request's: granted as projectReadable grants a project (no `.git`,
 *   no link that leads out), without the project's part, which is projectReadable's alone; the
 *   package's `node_modules` stays readable although it is also the project's.
 */
export function packageReadable(packageRoot: string, projectDir: string): string[] {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const project = real(projectDir);
  const root = real(packageRoot);
  if (isInside(root, project)) {
    const out = root === project ? [] : readableTree(packageRoot, (file, name) => UNREAD.has(name) || real(file) === project);
    const modules = path.join(packageRoot, "node_modules");
    try {
      if (statSync(modules).isDirectory()) out.push(modules);
    } catch {
      // A package without node_modules of its own (hoisted): its packages are found where the project's are.
    }
    return out;
  }
  let entries;
  try {
    entries = readdirSync(packageRoot, { withFileTypes: true });
  } catch {
    return [packageRoot];
  }
  if (!entries.some((e) => e.name === ".git")) return [packageRoot];
  return entries.filter((e) => e.name !== ".git").map((e) => path.join(packageRoot, e.name));
}

/**
 * Folders of a project the sandbox never reads, at any depth: packages are bundled (and a nested
 * package folder is not walked), a checkout's `.git/config` can hold the CI's token, and
 * `.watchkeeper` is Watchkeeper's own state folder, never the project's source: `wk deploy`
 * writes the PagerDuty routing keys there (the scaffold's deploy job then compiles the runtime
 * artifact, where a module read them into the manifest), beside Pulumi's local backend and the
 * runtime's state.
 */
const UNREAD = new Set(["node_modules", ".git", ".watchkeeper"]);

/**
 * What the sandbox may read of the project: all of it but `node_modules`, `.git` and
 * `.watchkeeper`, and no symbolic link that leads elsewhere. Node's permission model follows a
 * link wherever it points, so a link committed in a pull request (`data/p -> /proc`) would let a
 * module read any file of the CI, and the compiler's own environment in `/proc/<parent>/environ`. A folder holding such a
 * link is granted entry by entry, without the link; a link is kept only when it names a regular
 * file that is readable anyway.
 */
export function projectReadable(projectDir: string): string[] {
  return readableTree(projectDir, (_file, name) => UNREAD.has(name));
}

/**
 * The folders and files under `dir` the sandbox may read: `dir` itself when all of it may, else
 * its entries that may, folder by folder. An entry `leftOut` names is not granted, nor a link
 * unless it names a regular file inside `dir` (outside any `UNREAD` folder).
 */
function readableTree(dir: string, leftOut: (file: string, name: string) => boolean): string[] {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return [dir];
  }
  const readable = (link: string): boolean => {
    try {
      const target = realpathSync(link);
      return isInside(real, target) && !path.relative(real, target).split(path.sep).some((part) => UNREAD.has(part)) && statSync(target).isFile();
    } catch {
      return false;
    }
  };
  const grants = (folder: string): string[] => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return [folder];
    }
    const out: string[] = [];
    let whole = true;
    for (const entry of entries) {
      const file = path.join(folder, entry.name);
      if (leftOut(file, entry.name) || (entry.isSymbolicLink() && !readable(file))) {
        whole = false;
      } else if (entry.isDirectory()) {
        const inner = grants(file);
        if (inner.length !== 1 || inner[0] !== file) whole = false;
        out.push(...inner);
      } else {
        out.push(file);
      }
    }
    return whole ? [folder] : out;
  };
  return grants(dir);
}

/** The sandbox's heap limit in MiB. */
export const SANDBOX_HEAP_MB = 2048;

/**
 * The sandbox's limit of resident memory in MiB: the heap and 1 GiB more. The heap limit does not
 * count buffers and typed arrays, which live outside it: a module filling `new Uint8Array(2 ** 28)`
 * in a loop took the CI machine's memory without ever reaching it.
 */
export const SANDBOX_MEMORY_MB = SANDBOX_HEAP_MB + 1024;

/** How often the child's resident memory is read; a module fills memory at a few GB a second. */
const MEMORY_POLL_MS = 50;

/**
 * Reads the child's resident memory (Linux's `/proc/<pid>/status`) every MEMORY_POLL_MS and calls
 * `over` once it passes SANDBOX_MEMORY_MB. Where there is no such file only the heap limit holds.
 */
function watchMemory(child: ChildProcess, over: () => void): NodeJS.Timeout {
  const watch = setInterval(() => {
    let status: string;
    try {
      status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    } catch {
      // Not Linux, or the child is gone ("close" reports that).
      if (process.platform !== "linux" || child.exitCode !== null || child.signalCode !== null) clearInterval(watch);
      return;
    }
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    if (kib > SANDBOX_MEMORY_MB * 1024) over();
  }, MEMORY_POLL_MS);
  watch.unref();
  return watch;
}

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
 * the read). A name the runtime reserves (declared, it is only a warning), or one the dynamic
 * loader reads, gets none: a placeholder is a relative path, and `LD_LIBRARY_PATH=PLACEHOLDER_...`
 * made the loader take libraries from that folder of the project, native code run before Node's
 * permission model exists.
 */
export function placeholderEnv(secrets: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of secrets) {
    if (/^[A-Z][A-Z0-9_]*$/.test(name) && !/^(LD|DYLD|OPENSSL)_|^GCONV_PATH$/.test(name) && reservedSecretProblem(name) === null) env[name] = `PLACEHOLDER_${name}`;
  }
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
