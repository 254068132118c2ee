import { readFile } from "node:fs/promises";
import { parseManifest, type ManifestLoadResult } from "../sdk/manifest/index.js";

/** Reads and validates a compiled manifest file; a missing or unreadable file is a reason, not a throw. */
export async function readManifestFile(path: string): Promise<ManifestLoadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? `no manifest at ${path}` : `cannot read ${path}: ${code ?? String(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${path} is not valid JSON: ${(error as Error).message}` };
  }
  const result = parseManifest(json);
  return result.ok ? result : { ok: false, reason: `${path}: ${result.reason}` };
}
