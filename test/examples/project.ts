import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { collectConstructs, constructStack, synthesize, type Construct, type Monitor, type ProjectConfig } from "../../sdk/index.js";
import { parseManifest, sealManifest, type Manifest, type MonitorSpec } from "../../sdk/manifest/index.js";

/** The repository root: its own Watchkeeper project. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** This repository's project loaded the way the compiler sees it, synthesized, sealed and read back. */
export interface LoadedProject {
  config: ProjectConfig;
  exportsByFile: Map<string, Record<string, unknown>>;
  constructs: Construct[];
  manifest: Manifest;
  monitor(id: string): MonitorSpec;
  construct(id: string): Monitor;
}

function modulesUnder(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
    // Unit test modules (`*.wktest.ts`) sit beside the monitors but are not loaded as modules.
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".wktest.ts"))
    .map((f) => path.join(folder, f).split(path.sep).join("/"))
    .sort();
}

/** `monitors/website/endpoints.ts:42` from the construct's call stack (first frame in the project). */
export function sourceOf(c: Construct): string {
  const stack = constructStack(c) ?? "";
  const match = /((?:monitors|policies)\/[\w/.-]+\.ts):(\d+)/.exec(stack);
  return match ? `${match[1]}:${match[2]}` : "unknown";
}

/** Imports watchkeeper.config.ts and every module under policies/ and monitors/. */
export async function loadRepoProject(): Promise<LoadedProject> {
  const load = async (file: string) => (await import(pathToFileURL(path.join(ROOT, file)).href)) as Record<string, unknown>;
  const config = (await load("watchkeeper.config.ts")).default as ProjectConfig;
  const exportsByFile = new Map<string, Record<string, unknown>>();
  for (const file of [...modulesUnder("policies"), ...modulesUnder("monitors")]) exportsByFile.set(file, await load(file));
  const constructs = collectConstructs([...exportsByFile.values()].flatMap((m) => Object.values(m)));
  // Through JSON and the schema, exactly as the runtime reads manifest.json.
  const parsed = parseManifest(JSON.parse(JSON.stringify(sealManifest(synthesize({ config, constructs, sourceOf })))));
  if (!parsed.ok) throw new Error(parsed.reason);
  const manifest = parsed.manifest;
  return {
    config,
    exportsByFile,
    constructs,
    manifest,
    monitor(id) {
      const found = manifest.monitors.find((m) => m.id === id);
      if (!found) throw new Error(`no monitor ${id} in the manifest`);
      return found;
    },
    construct(id) {
      const found = constructs.find((c): c is Monitor => c.kind === "monitor" && c.id === id);
      if (!found) throw new Error(`no monitor construct ${id}`);
      return found;
    },
  };
}
