import path from "node:path";
import type { Metafile } from "esbuild";
import type { ProjectConfig } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { findCycles } from "./cycles.js";
import type { CompileCache } from "./compile-cache.js";
import { diagnostic } from "./diagnostic.js";
import type { Discovery } from "./discover.js";
import { ENTRY_NAMESPACE } from "./esbuild-options.js";
import type { WrittenBundle } from "./evaluate.js";
import { inputsOf, nextState, partHash, type LoadPlan } from "./load-cache.js";
import { isInside, type SdkLocation } from "./paths.js";
import type { ProjectFiles } from "./project-files.js";
import { runSandbox, type SandboxSpare } from "./sandbox.js";
import { sandboxEntry } from "./sandbox-entry.js";
import type { ManifestPart } from "./sandbox-protocol.js";
import { loadTimeout, sandboxVerdict } from "./sandbox-verdict.js";
import type { Diagnostic } from "./types.js";
import { unexportedDiagnostics, type UnreachedConstruct } from "./unexported.js";

/**
 * The project as loaded, all plain data: the modules ran in the sandboxed child (sandbox.ts),
 * which synthesized each construct there; nothing the project made is alive in the compiler.
 */
export interface LoadedProject {
  config: ProjectConfig;
  /** The assembled manifest without its hash. */
  manifest: Omit<Manifest, "hash">;
  /** Column where the construct at each `file:line` was made (the manifest keeps file:line only). */
  columns: Map<string, number>;
  /** The part hash of each entry of the manifest's lists. */
  partHashes: Map<object, string>;
  /** Source text of every project file in the import graph, by project-relative path. */
  sources: Map<string, string>;
}

export type LoadBundle =
  | { ok: true; bundle: WrittenBundle; graph: Map<string, string[]>; metafile: Metafile }
  | { ok: false; diagnostics: Diagnostic[] };

/** The entry of the load bundle: the sandbox loader, the config and every module (see sandbox-entry.ts). */
export function loadEntry(projectDir: string, discovery: Pick<Discovery, "configFile" | "modules">): string {
  return sandboxEntry(projectDir, discovery.configFile, discovery.modules);
}

/** Project files and their imports of other project files (SDK and packages left out). */
export function importGraph(metafile: Metafile, projectDir: string, sdk: SdkLocation): Map<string, string[]> {
  // Once per path: every module imports the same few files (see inputsOf).
  const owned = new Map<string, boolean>();
  const own = (input: string) => {
    let known = owned.get(input);
    if (known === undefined) {
      known = !(input.startsWith(ENTRY_NAMESPACE + ":") || input.startsWith("<") || input.startsWith("..") || input.includes("node_modules")) && !isInside(sdk.sdkDir, path.resolve(projectDir, input));
      owned.set(input, known);
    }
    return known;
  };
  const graph = new Map<string, string[]>();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    if (!own(input)) continue;
    graph.set(input.split(path.sep).join("/"), info.imports.filter((i) => own(i.path) && !i.external).map((i) => i.path.split(path.sep).join("/")));
  }
  return graph;
}

/**
 * Runs the bundle in the sandboxed child, which loads the stale modules (all of them without a
 * cache) and synthesizes their constructs; the manifest is assembled from those parts and the
 * cached parts of the modules that did not change. Load problems come back as diagnostics at
 * file:line.
 */
export async function loadProject(
  projectDir: string,
  discovery: Discovery,
  bundle: Extract<LoadBundle, { ok: true }> | null,
  sdk: SdkLocation,
  workDir: string,
  plan: LoadPlan,
  cache: CompileCache | null,
  read: ProjectFiles,
  timeoutOverrideMs?: number,
  /** A sandbox child started ahead, used when still waiting. */
  spare?: SandboxSpare,
): Promise<{ loaded: LoadedProject | null; diagnostics: Diagnostic[] }> {
  const records = plan.state?.modules ?? {};
  const secrets = discovery.config.secrets ?? [];
  // A cycle among unchanged modules cannot exist: their records come from a clean load.
  const cycles = bundle ? findCycles(bundle.graph) : [];
  const timeout = loadTimeout(discovery.config.load?.timeout, timeoutOverrideMs);
  // The modules run while the sources are read and the cached parts gathered below; a cycle or
  // a bad time limit keeps them from running at all.
  const running =
    bundle && cycles.length === 0 && timeout.diagnostics.length === 0
      ? runSandbox({ mode: "project", projectDir, sdk, workDir, bundle: bundle.bundle, timeoutMs: timeout.ms, secrets, spare })
      : null;

  const files = new Set(bundle ? bundle.graph.keys() : []);
  for (const file of plan.fresh) for (const input of records[file]!.inputs) if (ownFile(input)) files.add(input);
  // Read synchronously (a thousand small files through fs/promises cost ten times as much), and
  // once: the caches' plans read the same files.
  const sources = new Map([...files].sort().map((file) => [file, read.text(path.join(projectDir, file)) ?? ""]));

  if (cycles.length > 0) {
    // A cycle makes module evaluation order-dependent (bindings read before they are set), so
    // the modules are not run: their errors would only be symptoms of the cycle.
    return { loaded: null, diagnostics: cycles.map((cycle) => cycleDiagnostic(cycle, sources)) };
  }

  // Parts by hash: the cached ones, then those this load made.
  const parts = new Map<string, ManifestPart>();
  const modules: string[][] = plan.fresh.map((file) => records[file]!.parts);
  for (const hashes of modules) for (const hash of hashes) parts.set(hash, plan.state!.parts[hash]!);
  // What the reused modules dropped is reported again: their records keep it.
  const unreached: UnreachedConstruct[] = plan.fresh.flatMap((file) => records[file]!.unreached);
  if (!bundle) {
    // Nothing changed since the last clean load: every part comes from the cache.
    const state = plan.state!;
    const assembled = assembleManifest(state.skeleton, modules, parts);
    return { loaded: { config: state.config as unknown as ProjectConfig, ...assembled, sources }, diagnostics: unexportedDiagnostics(unreached, assembled.manifest) };
  }

  if (!running) return { loaded: null, diagnostics: timeout.diagnostics };
  const outcome = await running;
  const { result, diagnostics } = sandboxVerdict(outcome, timeout.ms);
  if (!result) return { loaded: null, diagnostics };
  diagnostics.push(...result.diagnostics);
  if (!result.config || !result.project) return { loaded: null, diagnostics };
  const { skeleton, modules: loadedModules } = result.project;
  const made = result.project.parts.map((part) => {
    const hash = partHash(part);
    parts.set(hash, part);
    return hash;
  });
  const inputs = inputsOf(bundle.metafile, loadedModules.map(([file]) => file), projectDir, sdk);
  const dropped = result.project.unreached;
  const loaded = new Map(
    loadedModules.map(([file, indexes]) => [file, { inputs: inputs.get(file) ?? [file], parts: indexes.map((i) => made[i]!), unreached: dropped.filter((c) => c.module === file) }]),
  );
  for (const { parts: own } of loaded.values()) modules.push(own);
  unreached.push(...dropped);
  if (cache && !diagnostics.some((d) => d.severity === "error")) {
    nextState(cache, plan, projectDir, { secrets: [...secrets], skeleton, config: result.config, modules: loaded, parts }, read);
  }
  // Decided against the whole manifest: a construct a reloaded module dropped may reach it
  // through a module whose parts came from the cache.
  const assembled = assembleManifest(skeleton, modules, parts);
  diagnostics.push(...unexportedDiagnostics(unreached, assembled.manifest));
  return { loaded: { config: result.config as unknown as ProjectConfig, ...assembled, sources }, diagnostics };
}

/** The manifest's lists that hold definitions. */
const LISTS = ["monitors", "services", "escalationPolicies", "schedules", "teams", "users", "channels", "silences", "statusPages"] as const;

/**
 * The manifest from each module's parts (by hash). A construct reached from several modules (a
 * service every monitor imports) is one part; two constructs with the same entry made at the
 * same place count as often as one module reaches them, so a duplicate id made twice in one place
 * is still reported. Lists are sorted by id, then (for a duplicate id) by where the construct was
 * made and by the part's hash, so the order never depends on which modules were loaded and which
 * came from the cache, and the first definition in file order is the one a duplicate is reported
 * against.
 */
export function assembleManifest(
  skeleton: Record<string, unknown>,
  modules: string[][],
  parts: Map<string, ManifestPart>,
): { manifest: Omit<Manifest, "hash">; columns: Map<string, number>; partHashes: Map<object, string> } {
  const times = new Map<string, number>();
  for (const hashes of modules) {
    if (hashes.length === 0) continue;
    const here = new Map<string, number>();
    for (const hash of hashes) here.set(hash, (here.get(hash) ?? 0) + 1);
    for (const [hash, n] of here) if ((times.get(hash) ?? 0) < n) times.set(hash, n);
  }
  const lists = new Map<string, Listed[]>(LISTS.map((name) => [name, []]));
  for (const [hash, n] of times) {
    const part = parts.get(hash)!;
    const list = lists.get(part[0]);
    if (!list) continue;
    for (let i = 0; i < n; i++) list.push({ id: String(part[1]["id"]), hash, part });
  }
  const manifest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(skeleton)) {
    // Status pages are written only when used, before the secrets (as synthesize() orders them).
    if (name === "secrets" && lists.get("statusPages")!.length > 0) manifest["statusPages"] = null;
    manifest[name] = value;
  }
  const columns = new Map<string, number>();
  const partHashes = new Map<object, string>();
  for (const [name, list] of lists) {
    if (name === "statusPages" && list.length === 0) continue;
    list.sort(byIdThenPlace);
    manifest[name] = list.map((item) => item.part[1]);
    for (const { part, hash } of list) {
      partHashes.set(part[1], hash);
      const source = part[1]["source"];
      if (typeof source === "string" && part[2] !== null && !columns.has(source)) columns.set(source, part[2]);
    }
  }
  return { manifest: manifest as unknown as Omit<Manifest, "hash">, columns, partHashes };
}

type Listed = { id: string; hash: string; part: ManifestPart };

function byIdThenPlace(a: Listed, b: Listed): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const [fileA, lineA] = place(a.part);
  const [fileB, lineB] = place(b.part);
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  if (lineA !== lineB) return lineA - lineB;
  const columnA = a.part[2] ?? 0;
  const columnB = b.part[2] ?? 0;
  if (columnA !== columnB) return columnA - columnB;
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}

/** `file` and line of an entry's `source` (`path/to/file.ts:LINE`). */
function place(part: ManifestPart): [string, number] {
  const source = String(part[1]["source"] ?? "");
  const colon = source.lastIndexOf(":");
  return colon < 0 ? [source, 0] : [source.slice(0, colon), Number(source.slice(colon + 1)) || 0];
}

/** A project file (not a package's, not outside the project). */
function ownFile(input: string): boolean {
  return !input.startsWith("..") && !input.split("/").includes("node_modules");
}

function cycleDiagnostic(cycle: string[], sources: Map<string, string>): Diagnostic {
  const [first, second] = cycle as [string, string];
  const target = path.basename(second).replace(/\.[cm]?[jt]s$/, "");
  const line = importLineOf(sources.get(first) ?? "", target);
  return diagnostic(
    "error",
    "WK2002",
    `import cycle: ${cycle.join(" -> ")}`,
    "move what both modules need into a third module that neither imports back, or pass the reference the other way",
    { file: first, line, column: 1 },
  );
}

function importLineOf(source: string, target: string): number {
  const re = new RegExp(`(?:from\\s*|import\\s*\\(?\\s*)["'][^"']*\\b${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:\\.[cm]?[jt]s)?["']`);
  const index = source.split("\n").findIndex((l) => re.test(l));
  return index < 0 ? 1 : index + 1;
}
