import fs, { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { esbuild } from "./esbuild.js";
import { glob } from "tinyglobby";
import { EXIT, UserError } from "../errors.js";
import type { ProjectConfig } from "../../sdk/index.js";
import { sha256, treeFingerprint, type CompileCache } from "./compile-cache.js";
import { configIssues } from "./config-issues.js";
import { diagnostic } from "./diagnostic.js";
import { visibleLine } from "../visible-text.js";
import { baseBuildOptions, ENTRY_NAMESPACE, entryPlugin, isSdkInput } from "./esbuild-options.js";
import { buildFailureDiagnostics } from "./evaluate.js";
import { outsideImports } from "./outside-inputs.js";
import { relativePath, type SdkLocation } from "./paths.js";
import { DEFAULT_LOAD_TIMEOUT_MS, runSandbox, type SandboxSpare } from "./sandbox.js";
import { sandboxEntry } from "./sandbox-entry.js";
import { sandboxVerdict } from "./sandbox-verdict.js";
import type { Diagnostic } from "./types.js";

export const CONFIG_FILE = "watchkeeper.config.ts";
export const DEFAULT_MONITOR_GLOBS = ["monitors/**/*.ts"];
export const DEFAULT_POLICY_GLOBS = ["policies/**/*.ts"];
/** Monitor unit test modules (`wk test --unit`); never loaded as monitor or policy modules. */
export const DEFAULT_TEST_GLOBS = ["**/*.wktest.ts"];
export const IGNORE = ["**/node_modules/**", "**/*.d.ts", "**/*.test.ts", "**/*.wktest.ts", "dist/**", "build/**"];
/** What the `tests` globs never match. */
export const TEST_IGNORE = ["**/node_modules/**", "**/*.d.ts", "dist/**", "build/**"];

export interface Discovery {
  configFile: string;
  config: ProjectConfig;
  /** Absolute paths of the monitor and policy modules, sorted. */
  modules: string[];
}

export type DiscoverResult = { ok: true; discovery: Discovery; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Where the project is when it is not where the command looked: `--project` given the config file
 * itself, or a command run from a folder inside the project (`monitors/`).
 */
function projectHint(projectDir: string): string {
  if (path.basename(projectDir) === CONFIG_FILE && existsSync(projectDir)) return `--project takes the project's folder: pass --project ${path.relative(process.cwd(), path.dirname(projectDir)) || "."}`;
  for (let dir = path.dirname(projectDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, CONFIG_FILE))) return `the project is ${dir}: run the command there, or pass --project ${path.relative(process.cwd(), dir) || "."}`;
  }
  return "run `wk init` to create a project, or pass --project DIR";
}

/** What is at the project path instead of a project: nothing, a file, or a folder without a config. */
function missingProject(projectDir: string): string {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(projectDir);
  } catch {
    stat = null;
  }
  if (stat === null) return `${projectDir} does not exist, so there is no ${CONFIG_FILE} there`;
  if (!stat.isDirectory()) return `${projectDir} is a file, not a project folder`;
  return `no ${CONFIG_FILE} in ${projectDir}`;
}

/** Reads the project's config and lists its modules. Problems are diagnostics, never throws. */
export async function discover(
  projectDir: string,
  sdk: SdkLocation,
  workDir: string,
  loadTimeoutMs?: number,
  cache: CompileCache | null = null,
  /** The modules under the default globs, listed moments before (likelyRoots): not listed again when the config keeps those globs. */
  listedUnderDefaults: string[] | null = null,
  /** A sandbox child started ahead, for the config's run when it is not cached. */
  spare?: SandboxSpare,
): Promise<DiscoverResult> {
  const configFile = path.join(projectDir, CONFIG_FILE);
  if (!existsSync(configFile)) {
    return {
      ok: false,
      diagnostics: [
        diagnostic("error", "WK1001", missingProject(projectDir), projectHint(projectDir)),
      ],
    };
  }
  const loaded = await cachedConfig(cache, projectDir, sdk, () => loadConfig(projectDir, configFile, sdk, workDir, loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS, spare));
  if (!loaded.ok) return loaded;
  const { config } = loaded;
  const diagnostics: Diagnostic[] = [];
  const patterns = [...(config.monitors ?? DEFAULT_MONITOR_GLOBS), ...(config.policies ?? DEFAULT_POLICY_GLOBS)];
  // A test module under monitors/ matches the monitor globs too; it is loaded only by `wk test --unit`.
  const tests = config.tests ? new Set((await glob(config.tests, { cwd: projectDir, ignore: TEST_IGNORE, absolute: true, onlyFiles: true, followSymbolicLinks: false })).map((f) => path.normalize(f))) : new Set<string>();
  const underDefaults = listedUnderDefaults !== null && JSON.stringify(patterns) === JSON.stringify([...DEFAULT_MONITOR_GLOBS, ...DEFAULT_POLICY_GLOBS]);
  const listed = (underDefaults ? listedUnderDefaults : await listModules(projectDir, patterns)).filter((f) => !tests.has(f));
  const modules = listed.filter((f) => !INVISIBLE_IN_NAME.test(relativePath(projectDir, f)));
  for (const file of listed.filter((f) => !modules.includes(f))) diagnostics.push(oddlyNamed(relativePath(projectDir, file)));
  if (modules.length === 0) {
    diagnostics.push(
      diagnostic("warning", "WK1003", `no modules match ${patterns.join(", ")}`, "add monitors under monitors/ or adjust `monitors`/`policies` in the config", {
        file: CONFIG_FILE,
        line: 1,
      }),
    );
  } else if (config.monitors && config.monitors.length > 0 && (await listModules(projectDir, config.monitors)).every((f) => tests.has(f))) {
    diagnostics.push(await noMonitorModules(configFile, config.monitors));
  }
  diagnostics.push(...(await skippedModules(projectDir, config)));
  return { ok: true, discovery: { configFile, config, modules }, diagnostics };
}

/** Control (a line break, ESC), format (bidi, zero-width) and separator characters. */
const INVISIBLE_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A module whose file name holds an invisible character is not loaded: TypeScript prints the name
 * as it is, so a line break in it ends the diagnostic's line and the rest of the name reads as a
 * diagnostic of its own (`x\nwatchkeeper.config.ts(1,1): error TS1000: ...`), and a reviewer sees
 * a name other than the file's.
 */
function oddlyNamed(file: string): Diagnostic {
  return diagnostic("error", "WK1007", `${visibleLine(file)} is not loaded: its name holds a control or invisible character`, "rename the file to letters, digits, dashes and dots (such as monitors/api-latency.ts)", { file, line: 1, column: 1 });
}

/**
 * JavaScript (or .mts/.cts) files in monitors/ or policies/ while those folders are read through
 * the default `*.ts` globs: an author who wrote `api.js` would otherwise see its monitors missing
 * from the plan without a word. A config that sets its own globs has chosen what is loaded.
 */
async function skippedModules(projectDir: string, config: ProjectConfig): Promise<Diagnostic[]> {
  const folders = [...(config.monitors ? [] : ["monitors"]), ...(config.policies ? [] : ["policies"])];
  if (folders.length === 0) return [];
  const found = await glob(
    folders.map((f) => `${f}/**/*.{js,mjs,cjs,mts,cts,jsx,tsx}`),
    { cwd: projectDir, ignore: IGNORE, onlyFiles: true, followSymbolicLinks: false },
  );
  return found.sort().map((file) => {
    const renamed = file.replace(/\.[^./]+$/, ".ts");
    return diagnostic("warning", "WK1006", `${file} is not loaded: only .ts modules under monitors/ and policies/ are`, `rename it to ${renamed} (modules are TypeScript), or set \`monitors\`/\`policies\` in the config`, { file, line: 1, column: 1 });
  });
}

/**
 * The config's own `monitors` globs match nothing while the policies still load: a typo
 * (`monitor/**` for `monitors/**`) compiles to a project without monitors, and its deploy would
 * delete every monitor. Said at the `monitors` line.
 */
async function noMonitorModules(configFile: string, globs: readonly string[]): Promise<Diagnostic> {
  const source = await readFile(configFile, "utf8").catch(() => "");
  return diagnostic("warning", "WK1003", `no module matches monitors: ${globs.join(", ")}; the project has no monitors`, "fix the globs (relative to the project folder, such as monitors/**/*.ts), or add monitor modules where they point", {
    file: CONFIG_FILE,
    line: lineOf(source, /\bmonitors\s*:/),
  });
}

/** The modules matching `patterns`, absolute and sorted (the config itself never is one). */
export async function listModules(projectDir: string, patterns: string[]): Promise<string[]> {
  const configFile = path.join(projectDir, CONFIG_FILE);
  // Links are not followed: one committed in a pull request (`monitors/root -> /`) would make every
  // .ts file of the machine a module, and a link to /proc would never finish listing.
  // A folder that cannot be read is not an empty one: listed as nothing, its monitors would vanish
  // from the compile, and a plan made from it would delete them. The lister skips such folders
  // silently, so its reads are watched.
  const unreadable: string[] = [];
  const watched: typeof fs.readdir = ((dir: fs.PathLike, options: unknown, done: (error: NodeJS.ErrnoException | null, entries: unknown) => void) =>
    fs.readdir(dir, options as { withFileTypes: true }, (error, entries) => {
      if (error && error.code !== "ENOENT") unreadable.push(`${path.relative(projectDir, String(dir)) || "."} (${error.code ?? error.message})`);
      done(error, entries);
    })) as typeof fs.readdir;
  const found = await glob(patterns, { cwd: projectDir, ignore: IGNORE, absolute: true, onlyFiles: true, followSymbolicLinks: false, fs: { ...fs, readdir: watched } });
  if (unreadable.length > 0) {
    throw new UserError(`cannot list the project's modules: ${unreadable.slice(0, 5).join(", ")}${unreadable.length > 5 ? ` and ${unreadable.length - 5} more` : ""} cannot be read`, EXIT.findings, "give the user running wk read and search permission on the project's folders");
  }
  return [...new Set(found.map((f) => path.normalize(f)))].filter((f) => f !== configFile).sort();
}

/**
 * The type check's likely roots before the config has run: the config and the modules under the
 * default globs, which most projects keep. See typechecker.ts.
 */
export async function likelyRoots(projectDir: string): Promise<string[] | null> {
  const configFile = path.join(projectDir, CONFIG_FILE);
  if (!existsSync(configFile)) return null;
  return [configFile, ...(await listModules(projectDir, [...DEFAULT_MONITOR_GLOBS, ...DEFAULT_POLICY_GLOBS]))];
}

type ConfigResult = { ok: true; config: ProjectConfig; inputs?: string[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * The config as data is a function of the files its bundle read and of the SDK: a config loaded
 * cleanly is kept with the content hash of each of those files and reused while they all match,
 * which saves a bundle and a sandbox start on every warm run.
 */
async function cachedConfig(cache: CompileCache | null, projectDir: string, sdk: SdkLocation, load: () => Promise<ConfigResult>): Promise<ConfigResult> {
  if (!cache) return load();
  const key = sha256(JSON.stringify({ v: 1, projectDir, node: process.version, sdk: treeFingerprint(sdk.sdkDir) }));
  const hashes = (files: string[]) => files.map((file) => [file, hashFile(file)] as const);
  const stored = cache.read<{ inputs: [string, string | null][]; config: ProjectConfig }>("config", key);
  if (stored && Array.isArray(stored.inputs) && stored.inputs.length > 0) {
    const now = hashes(stored.inputs.map(([file]) => file));
    if (now.every(([, hash], i) => hash !== null && hash === stored.inputs[i]![1])) return { ok: true, config: stored.config };
  }
  const loaded = await load();
  if (loaded.ok && loaded.inputs) cache.write("config", key, { inputs: hashes(loaded.inputs), config: loaded.config });
  return loaded;
}

function hashFile(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

/**
 * Runs the config in the sandbox (mode "config"), as untrusted as any module. Its own `load.timeout`
 * is not known yet, so this pass has the default limit (or the WK_LOAD_TIMEOUT override).
 */
async function loadConfig(projectDir: string, configFile: string, sdk: SdkLocation, workDir: string, timeoutMs: number, spare?: SandboxSpare): Promise<ConfigResult> {
  const at = { file: CONFIG_FILE, line: 1, column: 1 };
  let inputs: string[];
  try {
    const base = baseBuildOptions(projectDir, sdk);
    const result = await esbuild.build({
      ...base,
      plugins: [entryPlugin({ config: sandboxEntry(projectDir, configFile, []) }, projectDir), ...(base.plugins ?? [])],
      entryPoints: [`${ENTRY_NAMESPACE}:config`],
      outfile: path.join(workDir, "config.mjs"),
      sourcemap: "external",
      // Only positions are needed (construct locations); the sources are on disk.
      sourcesContent: false,
      write: true,
    });
    const outside = outsideImports(result.metafile!, projectDir, sdk);
    if (outside.length > 0) return { ok: false, diagnostics: outside };
    // Every file the bundle read, except the SDK's (its fingerprint is part of the key).
    inputs = Object.keys(result.metafile!.inputs)
      .filter((input) => !input.startsWith(`${ENTRY_NAMESPACE}:`) && !isSdkInput(input, projectDir, sdk))
      .map((input) => path.resolve(projectDir, input));
  } catch (error) {
    const diagnostics = buildFailureDiagnostics(error);
    if (diagnostics) return { ok: false, diagnostics };
    throw error;
  }
  const bundle = { file: path.join(workDir, "config.mjs"), mapFile: path.join(workDir, "config.mjs.map") };
  const outcome = await runSandbox({ mode: "config", projectDir, sdk, workDir, bundle, timeoutMs, secrets: [], spare });
  const verdict = sandboxVerdict(outcome, timeoutMs);
  const problems = [...verdict.diagnostics, ...(verdict.result?.diagnostics ?? [])];
  if (!verdict.result || problems.some((d) => d.severity === "error")) return { ok: false, diagnostics: problems };
  const exported = verdict.result.config ?? undefined;
  if (!verdict.result.configExported) {
    return {
      ok: false,
      diagnostics: [
        diagnostic("error", "WK1002", `${CONFIG_FILE} has no default export`, 'end it with `export default config({ name: "..." })` (import { config } from "watchkeeper")', at),
      ],
    };
  }
  const issues = await configIssues(exported, await readFile(configFile, "utf8").catch(() => ""), CONFIG_FILE);
  if (issues.length > 0) return { ok: false, diagnostics: issues };
  return { ok: true, config: exported as unknown as ProjectConfig, inputs };
}

/** 1-based line of the first match, or 1. */
export function lineOf(source: string, pattern: RegExp): number {
  const lines = source.split("\n");
  const index = lines.findIndex((l) => pattern.test(l));
  return index < 0 ? 1 : index + 1;
}
