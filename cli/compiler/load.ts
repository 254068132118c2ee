import { readFileSync } from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import type { ProjectConfig } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { findCycles } from "./cycles.js";
import { diagnostic, type Location } from "./diagnostic.js";
import type { Discovery } from "./discover.js";
import { ENTRY_NAMESPACE, SDK_NAMESPACE } from "./esbuild-options.js";
import type { WrittenBundle } from "./evaluate.js";
import { isInside, relativePath, type SdkLocation } from "./paths.js";
import { runSandbox } from "./sandbox.js";
import { sandboxEntry } from "./sandbox-entry.js";
import { loadTimeout, sandboxVerdict } from "./sandbox-verdict.js";
import type { Diagnostic } from "./types.js";

/**
 * The project as loaded, all plain data: the modules ran in the sandboxed child (sandbox.ts),
 * which synthesized the manifest there; nothing the project made is alive in the compiler.
 */
export interface LoadedProject {
  config: ProjectConfig;
  /** The synthesized manifest without its hash. */
  manifest: Omit<Manifest, "hash">;
  /** Where each construct was made. */
  locations: Location[];
  /** Source text of every project file in the import graph, by project-relative path. */
  sources: Map<string, string>;
}

export type LoadBundle = { ok: true; bundle: WrittenBundle; graph: Map<string, string[]> } | { ok: false; diagnostics: Diagnostic[] };

/** The entry of the load bundle: the sandbox loader, the config and every module (see sandbox-entry.ts). */
export function loadEntry(projectDir: string, discovery: Pick<Discovery, "configFile" | "modules">): string {
  return sandboxEntry(projectDir, discovery.configFile, discovery.modules);
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

/**
 * Runs the bundle in the sandboxed child, which loads every module, collects the constructs and
 * synthesizes the manifest; load problems come back as diagnostics at file:line.
 */
export async function loadProject(
  projectDir: string,
  discovery: Discovery,
  bundle: Extract<LoadBundle, { ok: true }>,
  sdk: SdkLocation,
  workDir: string,
  timeoutOverrideMs?: number,
): Promise<{ loaded: LoadedProject | null; diagnostics: Diagnostic[] }> {
  const files = [...bundle.graph.keys()];
  // Read synchronously: a thousand small files through fs/promises cost ten times as much.
  const sources = new Map(files.map((file) => [file, readFileSync(path.join(projectDir, file), "utf8")]));

  const cycles = findCycles(bundle.graph);
  if (cycles.length > 0) {
    // A cycle makes module evaluation order-dependent (bindings read before they are set), so
    // the modules are not run: their errors would only be symptoms of the cycle.
    return { loaded: null, diagnostics: cycles.map((cycle) => cycleDiagnostic(cycle, sources)) };
  }

  const timeout = loadTimeout(discovery.config.load?.timeout, timeoutOverrideMs);
  if (timeout.diagnostics.length > 0) return { loaded: null, diagnostics: timeout.diagnostics };
  const secrets = discovery.config.secrets ?? [];
  const outcome = await runSandbox({ mode: "project", projectDir, sdk, workDir, bundle: bundle.bundle, timeoutMs: timeout.ms, secrets });
  const { result, diagnostics } = sandboxVerdict(outcome, timeout.ms);
  if (!result) return { loaded: null, diagnostics };
  diagnostics.push(...result.diagnostics);
  if (!result.config || !result.manifest) return { loaded: null, diagnostics };
  const loaded = { config: result.config as unknown as ProjectConfig, manifest: result.manifest as unknown as Omit<Manifest, "hash">, locations: result.locations, sources };
  return { loaded, diagnostics };
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
