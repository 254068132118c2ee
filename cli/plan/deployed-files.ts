import { mkdir, rename, writeFile, chmod, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";

/** Files `wk deploy` keeps under the state folder. */
export const DEPLOYED_MANIFEST_FILE = "deployed-manifest.json";
export const ROUTING_KEYS_FILE = "routing-keys.json";
/** PagerDuty service IDs by service id, read by the runtime's REST incident channel. */
export const SERVICE_IDS_FILE = "service-ids.json";

/** Default location of the deployed manifest: the next plan's base. */
export function deployedManifestPath(stateDir: string): string {
  return join(stateDir, DEPLOYED_MANIFEST_FILE);
}

/**
 * Writes the routing keys `{ serviceId: key }` readable by the owner only. The file is created
 * 0600 before any byte is written and renamed into place, so no reader ever sees it looser.
 */
export async function writeRoutingKeys(path: string, keys: Record<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(keys, Object.keys(keys).sort(), 2) + "\n", { mode: 0o600, flag: "w" });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Writes the PagerDuty service IDs `{ serviceId: "PXXXXXX" }` (not secret) for the runtime. */
export async function writeServiceIds(path: string, ids: Record<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(ids, Object.keys(ids).sort(), 2) + "\n");
  await rename(`${path}.tmp`, path);
}

/** Saves the manifest that was just deployed, in canonical form. */
export async function saveDeployedManifest(stateDir: string, manifest: Manifest): Promise<string> {
  const path = deployedManifestPath(stateDir);
  await mkdir(stateDir, { recursive: true });
  await writeFile(`${path}.tmp`, canonicalJson(manifest) + "\n");
  await rename(`${path}.tmp`, path);
  return path;
}
