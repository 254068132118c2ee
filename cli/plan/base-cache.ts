import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { API_VERSION, canonicalJson, parseManifest, type Manifest } from "../../sdk/manifest/index.js";
import type { RegisteredResource } from "./mock-run.js";

/** Cached compiles of git bases, by content: `<state>/plan-cache/`. */
const KEEP = 8;

export interface CachedBase {
  manifest: Manifest;
  resources: RegisteredResource[] | null;
}

/**
 * A compile of committed content depends only on that content and on this build of Watchkeeper,
 * so (root tree id, project folder, build fingerprint) identifies it. The fingerprint changes with
 * the package version and whenever the compiler or the Pulumi program is rebuilt.
 */
export function baseCacheKey(treeId: string, projectRel: string): string {
  return createHash("sha256").update(`${treeId}\n${projectRel}\n${buildFingerprint()}`).digest("hex").slice(0, 40);
}

let fingerprint: string | undefined;

function buildFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith(".ts") ? ".ts" : ".js";
  const parts = [API_VERSION, packageVersion(dirname(here))];
  for (const rel of [`../compiler/index${ext}`, `../../infra/program/oncall${ext}`, `./mock-run${ext}`]) {
    const file = join(dirname(here), rel);
    parts.push(existsSync(file) ? `${rel}@${statSync(file).mtimeMs}` : rel);
  }
  fingerprint = parts.join("|");
  return fingerprint;
}

function packageVersion(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "watchkeeper") return pkg.version ?? "0";
  }
  return "0";
}

/** The cached base, or null when absent or unreadable (a cache miss is never an error). */
export async function readCachedBase(cacheDir: string, key: string): Promise<CachedBase | null> {
  try {
    const entry = JSON.parse(await readFile(join(cacheDir, `${key}.json`), "utf8")) as { manifest: unknown; resources: RegisteredResource[] | null };
    const parsed = parseManifest(entry.manifest);
    return parsed.ok ? { manifest: parsed.manifest, resources: entry.resources } : null;
  } catch {
    return null;
  }
}

/** Stores a base compile; keeps the newest few entries. Failures only cost the next plan time. */
export async function writeCachedBase(cacheDir: string, key: string, base: CachedBase): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    const file = join(cacheDir, `${key}.json`);
    await writeFile(`${file}.tmp`, canonicalJson(base, 0));
    await rename(`${file}.tmp`, file);
    const entries = await Promise.all(
      (await readdir(cacheDir)).filter((f) => f.endsWith(".json")).map(async (f) => ({ f, mtime: (await stat(join(cacheDir, f))).mtimeMs })),
    );
    for (const old of entries.sort((a, b) => b.mtime - a.mtime).slice(KEEP)) await rm(join(cacheDir, old.f), { force: true });
  } catch {
    // A read-only or full disk only loses the cache.
  }
}
