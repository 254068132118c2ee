import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseManifest, type Manifest, type MonitorSpec } from "../sdk/manifest/index.js";
import type { MonitorBundle, MonitorCode } from "../sdk/result.js";

/** The artifact could not be used at all: the runtime refuses to start, with this reason. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactError";
  }
}

/** A monitor whose manifest entry promises code the bundle does not export. */
export interface MissingExport {
  monitorId: string;
  export: keyof MonitorCode;
}

export interface LoadedArtifact {
  manifest: Manifest;
  bundle: MonitorBundle;
  /** Monitors that cannot run as compiled; their checks fail, the others run. */
  missing: MissingExport[];
}

/** Reads and validates `manifest.json` and imports `monitors.mjs` from a compiled artifact folder. */
export async function loadArtifact(dir: string): Promise<LoadedArtifact> {
  const manifestPath = join(dir, "manifest.json");
  const parsed = parseManifest(await readManifestJson(manifestPath));
  if (!parsed.ok) throw new ArtifactError(`${manifestPath}: ${parsed.reason}`);
  const bundle = await importBundle(join(dir, "monitors.mjs"), parsed.manifest.hash);
  return { manifest: parsed.manifest, bundle, missing: findMissingExports(parsed.manifest.monitors, bundle) };
}

/**
 * The manifest's JSON, parsed. Its own function so the text (12 MB at 10,000 monitors) is garbage
 * before validation builds the checked specs: start-up's peak holds two copies, not three.
 */
async function readManifestJson(manifestPath: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (error) {
    throw new ArtifactError(`cannot read ${manifestPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Imports a bundle by file URL; the hash in the query keeps a re-import from returning a stale module. */
export async function importBundle(path: string, version: string): Promise<MonitorBundle> {
  let mod: { default?: unknown };
  try {
    mod = (await import(`${pathToFileURL(path).href}?v=${encodeURIComponent(version)}`)) as { default?: unknown };
  } catch (error) {
    throw new ArtifactError(`cannot load ${path}: ${(error as Error).message}`);
  }
  const exported = mod.default;
  if (exported === undefined || exported === null || typeof exported !== "object") {
    throw new ArtifactError(`${path} must \`export default\` an object keyed by monitor id`);
  }
  return exported as MonitorBundle;
}

/** Compares each monitor's code flags with what the bundle exports. */
export function findMissingExports(monitors: MonitorSpec[], bundle: MonitorBundle): MissingExport[] {
  const missing: MissingExport[] = [];
  for (const m of monitors) {
    const code = bundle[m.id];
    for (const name of ["condition", "summary", "run", "extract"] as const) {
      if (m.code[name] && typeof code?.[name] !== "function") missing.push({ monitorId: m.id, export: name });
    }
  }
  return missing;
}
