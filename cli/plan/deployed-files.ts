import { rename, writeFile, chmod, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KeyFile, PREVIOUS_KEYS_FIELD } from "../../runtime/notify/routing-keys.js";
import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";
import { makeFolders } from "../../sdk/make-folders.js";

/** Files `wk deploy` keeps under the state folder. */
export const DEPLOYED_MANIFEST_FILE = "deployed-manifest.json";
export const ROUTING_KEYS_FILE = "routing-keys.json";
/** PagerDuty service IDs by service id, read by the runtime's REST incident channel. */
export const SERVICE_IDS_FILE = "service-ids.json";

/** Default location of the deployed manifest: the next plan's base. */
export function deployedManifestPath(stateDir: string): string {
  return join(stateDir, DEPLOYED_MANIFEST_FILE);
}

/** How many replaced keys a service keeps in the routing keys file (newest first). */
export const MAX_PREVIOUS_ROUTING_KEYS = 3;

/**
 * Writes the routing keys `{ serviceId: key }` readable by the owner only. The file is created
 * 0600 before any byte is written and renamed into place, so no reader ever sees it looser.
 *
 * A key this deploy replaced (the file's value before, or `replaced`: what the stack held before)
 * is kept under `$previous` for that service, newest first, at most MAX_PREVIOUS_ROUTING_KEYS: an
 * incident PagerDuty opened under the old integration can only be resolved with the old key, so the
 * runtime needs it until that incident is closed.
 */
export async function writeRoutingKeys(path: string, keys: Record<string, string>, replaced: Record<string, string> = {}): Promise<void> {
  const before = new KeyFile(path).contents();
  const previous: Record<string, string[]> = {};
  for (const id of Object.keys(keys).sort()) {
    const kept = [before.values[id], replaced[id], ...(before.previous[id] ?? [])].filter((k): k is string => typeof k === "string" && k !== "" && k !== keys[id]);
    const unique = [...new Set(kept)].slice(0, MAX_PREVIOUS_ROUTING_KEYS);
    if (unique.length > 0) previous[id] = unique;
  }
  const out: Record<string, unknown> = Object.fromEntries(Object.keys(keys).sort().map((id) => [id, keys[id]]));
  if (Object.keys(previous).length > 0) out[PREVIOUS_KEYS_FIELD] = previous;
  makeFolders(dirname(path), 0o700);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(out, null, 2) + "\n", { mode: 0o600, flag: "w" });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Writes the PagerDuty service IDs `{ serviceId: "PXXXXXX" }` (not secret) for the runtime. */
export async function writeServiceIds(path: string, ids: Record<string, string>): Promise<void> {
  makeFolders(dirname(path));
  await writeFile(`${path}.tmp`, JSON.stringify(ids, Object.keys(ids).sort(), 2) + "\n");
  await rename(`${path}.tmp`, path);
}

/** Saves the manifest that was just deployed, in canonical form. */
export async function saveDeployedManifest(stateDir: string, manifest: Manifest): Promise<string> {
  const path = deployedManifestPath(stateDir);
  makeFolders(stateDir);
  await writeFile(`${path}.tmp`, canonicalJson(manifest) + "\n");
  await rename(`${path}.tmp`, path);
  return path;
}
