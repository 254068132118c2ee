import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { API_VERSION, parseManifest, type Manifest } from "../../sdk/manifest/index.js";
import { openSealedFolder } from "../compiler/compile-cache.js";

/**
 * Cached compiles of git bases, by content: `<project>/.watchkeeper/plan-cache/`.
 * That folder is inside the checkout a pull request controls, and its keys can be computed by
 * anyone (a tree id, a path, this build's files), so every entry is sealed with the user's cache
 * key (compile-cache.ts): an entry committed by a pull request, forging the base it is compared
 * with, is not read.
 */
const KEEP = 16;

export interface CachedBase {
  manifest: Manifest;
  /** The base's compiled monitors.mjs, for the preview of its summary functions. */
  bundle: string | null;
}

/**
 * A compile of committed content depends only on that content and on this build of Watchkeeper,
 * so (root tree id, project folder, build fingerprint) identifies it. The fingerprint changes with
 * the package version and with the code of the compiler, the Pulumi program and the planner.
 */
export function baseCacheKey(treeId: string, projectRel: string): string {
  return createHash("sha256").update(`${treeId}\n${projectRel}\n${buildFingerprint()}`).digest("hex").slice(0, 40);
}

let fingerprint: string | undefined;

function buildFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const here = dirname(fileURLToPath(import.meta.url));
  const parts = [API_VERSION, packageVersion(here)];
  // The code of the compiler, the Pulumi program and the planner: any change to it invalidates
  // (by content, so a rebuild that produces the same files keeps the cache).
  const hash = createHash("sha256").update(parts.join("|"));
  for (const rel of ["../compiler", "../../infra/program", "."]) {
    const dir = join(here, rel);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (/\.(js|ts)$/.test(name) && !name.endsWith(".d.ts")) hash.update(`${rel}/${name}\n`).update(readFileSync(join(dir, name)));
    }
  }
  fingerprint = hash.digest("hex");
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
  const entry = openSealedFolder(cacheDir)?.read<{ manifest: unknown; bundle?: unknown }>(key, key);
  if (!entry) return null;
  const parsed = parseManifest(entry.manifest);
  return parsed.ok ? { manifest: parsed.manifest, bundle: typeof entry.bundle === "string" ? entry.bundle : null } : null;
}

/** Stores a base compile; keeps the newest few entries. Failures only cost the next plan time. */
export async function writeCachedBase(cacheDir: string, key: string, base: CachedBase): Promise<void> {
  await writeEntry(cacheDir, key, base);
}

async function writeEntry(cacheDir: string, key: string, entry: object): Promise<void> {
  try {
    const sealed = openSealedFolder(cacheDir);
    if (sealed === null) return;
    sealed.write(key, key, entry);
    const entries = await Promise.all(
      (await readdir(cacheDir)).filter((f) => f.endsWith(".json")).map(async (f) => ({ f, mtime: (await stat(join(cacheDir, f))).mtimeMs })),
    );
    for (const old of entries.sort((a, b) => b.mtime - a.mtime).slice(KEEP)) await rm(join(cacheDir, old.f), { force: true });
  } catch {
    // A read-only or full disk only loses the cache.
  }
}
