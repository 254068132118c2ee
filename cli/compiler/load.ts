import { readFile } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import { collectConstructs, constructStack, type Construct, type ProjectConfig } from "../../sdk/index.js";
import { findCycles } from "./cycles.js";
import { diagnostic, type Location } from "./diagnostic.js";
import type { Discovery } from "./discover.js";
import { CONFIG_FILE } from "./discover.js";
import { ENTRY_NAMESPACE, SDK_NAMESPACE } from "./esbuild-options.js";
import { importBundle, type FrameMapper } from "./evaluate.js";
import { exportLine, exportProblems } from "./exports.js";
import { isInside, relativePath, type SdkLocation } from "./paths.js";
import { authorFrame, errorMessage, frameLocator } from "./stack.js";
import type { Diagnostic } from "./types.js";

/** The project as loaded: its config, every construct, and where each was made. */
export interface LoadedProject {
  config: ProjectConfig;
  constructs: Construct[];
  locations: Map<Construct, Location>;
  /** Source text of every project file in the import graph, by project-relative path. */
  sources: Map<string, string>;
}

export type LoadBundle = { ok: true; outputs: esbuild.OutputFile[]; graph: Map<string, string[]> } | { ok: false; diagnostics: Diagnostic[] };

/**
 * The entry of the load bundle: the config and every module, imported lazily so each module's
 * load runs (and fails) on its own; one throwing module does not hide the others' problems.
 */
export function loadEntry(projectDir: string, discovery: Discovery): string {
  const specifier = (file: string) => JSON.stringify("./" + relativePath(projectDir, file));
  return [
    `export const loadConfig = () => import(${specifier(discovery.configFile)});`,
    "export const modules = [",
    ...discovery.modules.map((f) => `  [${JSON.stringify(relativePath(projectDir, f))}, () => import(${specifier(f)})],`),
    "];",
  ].join("\n");
}

/** Project files and their imports of other project files (SDK and packages left out). */
export function importGraph(metafile: esbuild.Metafile, projectDir: string, sdk: SdkLocation): Map<string, string[]> {
  const own = (input: string) => {
    if (input.startsWith(ENTRY_NAMESPACE + ":") || input.startsWith(SDK_NAMESPACE + ":") || input.startsWith("<") || input.startsWith("..") || input.includes("node_modules")) return false;
    return !isInside(sdk.sdkDir, path.resolve(projectDir, input));
  };
  const graph = new Map<string, string[]>();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    if (!own(input)) continue;
    graph.set(input.split(path.sep).join("/"), info.imports.filter((i) => own(i.path) && !i.external).map((i) => i.path.split(path.sep).join("/")));
  }
  return graph;
}

/** Imports the bundle and collects constructs; load problems become diagnostics at file:line. */
export async function loadProject(
  projectDir: string,
  discovery: Discovery,
  bundle: Extract<LoadBundle, { ok: true }>,
  sdk: SdkLocation,
  workDir: string,
): Promise<{ loaded: LoadedProject | null; diagnostics: Diagnostic[] }> {
  const files = [...bundle.graph.keys()];
  const texts = await Promise.all(files.map((file) => readFile(path.join(projectDir, file), "utf8")));
  const sources = new Map(files.map((file, i) => [file, texts[i]!]));

  const cycles = findCycles(bundle.graph);
  if (cycles.length > 0) {
    // A cycle makes module evaluation order-dependent (bindings read before they are set), so
    // the modules are not run: their errors would only be symptoms of the cycle.
    return { loaded: null, diagnostics: cycles.map((cycle) => cycleDiagnostic(cycle, sources)) };
  }

  const diagnostics: Diagnostic[] = [];
  const restoreEnv = hideSecrets(discovery.config.secrets ?? []);
  const namespaces: Record<string, unknown>[] = [];
  let config: ProjectConfig | undefined;
  let mapFrame: FrameMapper | undefined;
  try {
    const evaluated = await importBundle(workDir, bundle.outputs);
    mapFrame = evaluated.mapFrame;
    // The entry only declares lazy imports; nothing of the project runs until they are called.
    if (!evaluated.ok) throw evaluated.error;
    const entry = evaluated.exports as {
      loadConfig: () => Promise<{ default?: ProjectConfig }>;
      modules: [string, () => Promise<Record<string, unknown>>][];
    };
    try {
      config = (await entry.loadConfig()).default;
    } catch (error) {
      diagnostics.push(loadDiagnostic(error, CONFIG_FILE, projectDir, sdk, mapFrame));
    }
    for (const [file, load] of entry.modules) {
      let namespace: Record<string, unknown>;
      try {
        namespace = await load();
      } catch (error) {
        diagnostics.push(loadDiagnostic(error, file, projectDir, sdk, mapFrame));
        continue;
      }
      namespaces.push(namespace);
      for (const problem of exportProblems(namespace)) {
        const line = exportLine(sources.get(file) ?? "", problem.name);
        diagnostics.push(diagnostic("error", "WK2003", problem.message, problem.hint, { file, line, column: 1 }));
      }
    }
  } finally {
    restoreEnv();
  }
  if (config === undefined || diagnostics.some((d) => d.code === "WK2001")) return { loaded: null, diagnostics };

  const constructs = collectConstructs([config, ...namespaces]);
  const locations = new Map<Construct, Location>();
  const locate = frameLocator(projectDir, sdk, mapFrame);
  for (const c of constructs) {
    locations.set(c, locate(constructStack(c)) ?? { file: null, line: null, column: null });
  }
  return { loaded: { config, constructs, locations, sources }, diagnostics };
}

function loadDiagnostic(error: unknown, file: string, projectDir: string, sdk: SdkLocation, mapFrame?: FrameMapper): Diagnostic {
  const where = authorFrame((error as Error | undefined)?.stack, projectDir, sdk, mapFrame) ?? { file, line: 1, column: 1 };
  return diagnostic(
    "error",
    "WK2001",
    `${where.file === file ? "this module" : file} throws while loading: ${errorMessage(error)}`,
    "module top level runs at compile time: fix the error at this line, or move work that needs the running system into a script check",
    where,
  );
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

/**
 * Modules run at compile time; a module reading `process.env.SECRET` would bake the value into
 * the manifest. Declared secrets are hidden from the environment while modules load.
 */
function hideSecrets(names: string[]): () => void {
  const saved = new Map<string, string>();
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) {
      saved.set(name, value);
      delete process.env[name];
    }
  }
  return () => {
    for (const [name, value] of saved) process.env[name] = value;
  };
}
