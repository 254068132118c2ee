import path from "node:path";
import type { Metafile } from "esbuild";
import { sha256, treeFingerprint, type CompileCache } from "./compile-cache.js";
import { ENTRY_NAMESPACE, isSdkInput } from "./esbuild-options.js";
import type { SdkLocation } from "./paths.js";
import { projectFiles, type ProjectFiles } from "./project-files.js";
import { SANDBOX_LOADER } from "./sandbox-entry.js";
import { isUnreached, type ManifestPart } from "./sandbox-protocol.js";
import type { UnreachedConstruct } from "./unexported.js";

/**
 * The load cache: what each module's load produced (the manifest parts its exports reach), kept
 * with the content hash of every file its bundle read, so a warm compile runs only the modules
 * whose code or imports changed. Entries are sealed by the compile cache's HMAC (a forged or
 * corrupted entry is ignored), and each recorded hash is compared with the disk before a record
 * is reused, so a record can only ever stand for the exact files it was made from.
 */

/** One module's load: the files its bundle read (project-relative, as esbuild names them) and its parts. */
export interface ModuleRecord {
  inputs: string[];
  /** Hashes into `LoadState.parts`, once per construct (twice for two constructs with one entry). */
  parts: string[];
  /** Constructs made while it loaded that no export reached: a warm compile reports them again. */
  unreached: UnreachedConstruct[];
}

export interface LoadState {
  /** The declared secret names the modules loaded with (the sandbox's environment). */
  secrets: string[];
  /** Content hash of every input of every module. */
  files: Record<string, string>;
  /** Hash of the names in each folder that holds an input: a new file can change how an import resolves. */
  folders: Record<string, string>;
  /** The config's manifest without definitions, and the config as data for the rules. */
  skeleton: Record<string, unknown>;
  config: Record<string, unknown>;
  /** By project-relative path; the config file is one of them. */
  modules: Record<string, ModuleRecord>;
  parts: Record<string, ManifestPart>;
}

const ENTRY = "load";

/**
 * The load state as stored: each part once, in a list beside its hash, and each module's parts as
 * positions in that list. A monitor reaches a dozen parts (its service's policies, its team's
 * users), so its hashes written out were most of the file (1 MB of 2.4 MB on the benchmark tree);
 * the whole file is read, checked against its seal and parsed on every warm compile.
 */
interface StoredLoadState extends Omit<LoadState, "modules" | "parts"> {
  hashes: string[];
  parts: ManifestPart[];
  modules: Record<string, { inputs: string[]; parts: number[]; unreached: UnreachedConstruct[] }>;
}

function stored(state: LoadState): StoredLoadState {
  const hashes = Object.keys(state.parts);
  const at = new Map(hashes.map((hash, i) => [hash, i]));
  const modules: StoredLoadState["modules"] = {};
  for (const [file, record] of Object.entries(state.modules)) modules[file] = { inputs: record.inputs, parts: record.parts.map((hash) => at.get(hash)!), unreached: record.unreached };
  return { ...state, hashes, parts: hashes.map((hash) => state.parts[hash]!), modules };
}

/** The state a stored one stands for; null when it is not one this code wrote. */
function restored(s: StoredLoadState): LoadState | null {
  if (!s || typeof s !== "object" || !Array.isArray(s.hashes) || !Array.isArray(s.parts) || s.hashes.length !== s.parts.length) return null;
  if (typeof s.modules !== "object" || s.modules === null) return null;
  const parts: Record<string, ManifestPart> = {};
  s.hashes.forEach((hash, i) => (parts[hash] = s.parts[i]!));
  const modules: Record<string, ModuleRecord> = {};
  for (const [file, record] of Object.entries(s.modules)) {
    if (!record || !Array.isArray(record.inputs) || !Array.isArray(record.parts) || !Array.isArray(record.unreached) || !record.unreached.every(isUnreached)) return null;
    const hashes: string[] = [];
    for (const i of record.parts) {
      const hash = s.hashes[i];
      if (!Number.isInteger(i) || hash === undefined) return null;
      hashes.push(hash);
    }
    modules[file] = { inputs: record.inputs, parts: hashes, unreached: record.unreached };
  }
  const state = { secrets: s.secrets, files: s.files, folders: s.folders, skeleton: s.skeleton, config: s.config, modules, parts };
  return wellFormed(state) ? state : null;
}

/** What the records depend on besides the files: the Node version, the SDK and the loader itself. */
export function loadCacheKey(projectDir: string, sdk: SdkLocation): string {
  return sha256(JSON.stringify({ v: 2, projectDir, node: process.version, sdk: treeFingerprint(sdk.sdkDir), loader: treeFingerprint(path.dirname(SANDBOX_LOADER)) }));
}

/** Which of `files` (project-relative; the config first) must run in the sandbox, and what can be reused. */
export interface LoadPlan {
  key: string;
  state: LoadState | null;
  /** Files to load, the config first; empty when every record is reusable. */
  stale: string[];
  /** Files whose records are reused. */
  fresh: string[];
}

export function planLoad(cache: CompileCache | null, key: string, projectDir: string, files: string[], secrets: string[] | null, read: ProjectFiles = projectFiles()): LoadPlan {
  const kept = cache?.read<StoredLoadState>(ENTRY, key) ?? null;
  const state = kept === null ? null : restored(kept);
  const all = { key, state, stale: files, fresh: [] };
  if (!state) return all;
  if (secrets && JSON.stringify(secrets) !== JSON.stringify(state.secrets)) return all;
  // Most inputs are shared (every monitor of a service reads its policy files): each is compared
  // with the disk once.
  const unchanged = new Map<string, boolean>();
  const inputUnchanged = (input: string): boolean => {
    let same = unchanged.get(input);
    if (same === undefined) {
      const dir = path.dirname(input);
      same = read.hash(path.resolve(projectDir, input)) === state.files[input] && read.folderHash(path.resolve(projectDir, dir)) === state.folders[dir];
      unchanged.set(input, same);
    }
    return same;
  };
  const reusable = (file: string): boolean => {
    const record = state.modules[file];
    if (!record) return false;
    for (const input of record.inputs) if (!inputUnchanged(input)) return false;
    return record.parts.every((hash) => hash in state.parts);
  };
  const [config, ...modules] = files;
  // A monitor's entry takes the config's defaults (time zone, severity, channels): a changed
  // config reloads everything.
  if (config === undefined || !reusable(config)) return all;
  const fresh = modules.filter(reusable);
  if (fresh.length === modules.length) return { key, state, stale: [], fresh: files };
  const reused = new Set(fresh);
  return { key, state, stale: [config, ...modules.filter((m) => !reused.has(m))], fresh };
}

/**
 * For each loaded file, the inputs its bundle read: everything reachable from it in esbuild's
 * graph, except the generated entry and the SDK (whose files are part of the key).
 */
export function inputsOf(metafile: Metafile, files: string[], projectDir: string, sdk: SdkLocation): Map<string, string[]> {
  const key = (p: string) => p.split(path.sep).join("/");
  const imports = new Map<string, string[]>();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    imports.set(key(input), info.imports.filter((i) => !i.external).map((i) => key(i.path)));
  }
  // Once per path: each monitor reaches the same dozen files (resolving them again for every
  // module was 15-30 ms of a 1,000-module load).
  const owned = new Map<string, boolean>();
  const own = (p: string) => {
    let known = owned.get(p);
    if (known === undefined) owned.set(p, (known = !p.startsWith(`${ENTRY_NAMESPACE}:`) && !p.startsWith("<") && !isSdkInput(p, projectDir, sdk)));
    return known;
  };
  const out = new Map<string, string[]>();
  for (const file of files) {
    const seen = new Set<string>();
    const stack = [file];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen.has(at) || !own(at)) continue;
      seen.add(at);
      for (const next of imports.get(at) ?? []) stack.push(next);
    }
    out.set(file, [...seen].sort());
  }
  return out;
}

/** The part's identity: the same entry made at the same place is the same part. */
export function partHash(part: ManifestPart): string {
  return sha256(JSON.stringify(part));
}

/**
 * The state after a load: reused records as they were, loaded files with their new inputs and
 * parts. Written only after a load without errors, so every record stands for a clean load.
 */
export function nextState(
  cache: CompileCache,
  plan: LoadPlan,
  projectDir: string,
  loaded: {
    secrets: string[];
    skeleton: Record<string, unknown>;
    config: Record<string, unknown>;
    /** Loaded files: their inputs, part hashes and dropped constructs. */
    modules: Map<string, ModuleRecord>;
    /** Every part by hash (cached and loaded). */
    parts: Map<string, ManifestPart>;
  },
  read: ProjectFiles,
): void {
  const previous = plan.state;
  const modules: Record<string, ModuleRecord> = {};
  const parts: Record<string, ManifestPart> = {};
  for (const file of plan.fresh) {
    const record = previous!.modules[file]!;
    modules[file] = record;
    for (const hash of record.parts) parts[hash] = previous!.parts[hash]!;
  }
  for (const [file, record] of loaded.modules) {
    for (const hash of record.parts) parts[hash] = loaded.parts.get(hash)!;
    modules[file] = record;
  }
  const files: Record<string, string> = {};
  const folders: Record<string, string> = {};
  const folderOf = (dir: string) => read.folderHash(path.resolve(projectDir, dir));
  for (const record of Object.values(modules)) {
    for (const input of record.inputs) {
      if (files[input] !== undefined) continue;
      const hash = read.hash(path.resolve(projectDir, input));
      const names = folderOf(path.dirname(input));
      // A file that went away while loading: the record could not be checked later; keep none.
      if (hash === null || names === null) return;
      files[input] = hash;
      folders[path.dirname(input)] = names;
    }
  }
  const state: LoadState = { secrets: loaded.secrets, files, folders, skeleton: loaded.skeleton, config: loaded.config, modules, parts };
  cache.write(ENTRY, plan.key, stored(state));
}

function wellFormed(state: LoadState): boolean {
  return (
    state.secrets !== null &&
    state.files !== null &&
    state.folders !== null &&
    state.skeleton !== null &&
    state.config !== null &&
    Array.isArray(state.secrets) &&
    typeof state.files === "object" &&
    typeof state.folders === "object" &&
    typeof state.modules === "object" &&
    typeof state.parts === "object" &&
    typeof state.skeleton === "object" &&
    typeof state.config === "object"
  );
}
