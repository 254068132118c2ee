import { constants as bufferConstants } from "node:buffer";
import { constants, type Stats } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleSha256, parseManifest, refusedMonitorLabels, type Manifest, type MonitorSpec } from "../sdk/manifest/index.js";
import type { MonitorBundle, MonitorCode } from "../sdk/result.js";
import { textOfFile } from "./text/file-text.js";

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
  /**
   * Monitor label names an older compiler allowed and the current one refuses: the artifact still
   * runs, and the runtime says once that the next compile will refuse them (`outdatedLabelsWarning`).
   */
  refusedLabels: { monitorId: string; names: string[] }[];
  /** The URL `bundle` was imported from: the runtime's code worker imports the same file (runtime/code-host). */
  bundleUrl: string;
}

/**
 * Reads and validates `manifest.json` and imports `monitors.mjs` from a compiled artifact folder.
 * With `importBundle: false` the bundle is checked against the manifest's seal but not imported
 * (`bundle` is empty, `missing` too): `wk run` loads it in its code worker (runtime/code-host).
 */
export async function loadArtifact(dir: string, options: { importBundle?: boolean } = {}): Promise<LoadedArtifact> {
  const manifestPath = join(dir, "manifest.json");
  // With the schema's limits: what the compiler refuses, a hand-edited artifact cannot start with;
  // except the rules added since artifacts were deployed, which warn (`refusedLabels`).
  const parsed = parseManifest(await readManifestJson(manifestPath), { limits: true, compiledBefore: true });
  if (!parsed.ok) throw new ArtifactError(`${manifestPath}: ${parsed.reason}`);
  const manifest = withCompactMonitors(parsed.manifest);
  const refusedLabels = refusedMonitorLabels(manifest.monitors);
  const bundlePath = join(dir, "monitors.mjs");
  if (manifest.bundle) await requireSealedBundle(bundlePath, manifestPath, manifest.bundle.sha256);
  // Keyed by the bundle's own hash when the manifest records it: a rebuilt bundle under an unchanged manifest is imported afresh.
  const bundleUrl = bundleUrlOf(bundlePath, manifest.bundle?.sha256 ?? manifest.hash);
  if (options.importBundle === false) {
    if (!manifest.bundle) await readArtifactFile(bundlePath, `${manifestPath} needs the monitors.mjs compiled with it`);
    return { manifest, bundle: {}, missing: [], refusedLabels, bundleUrl };
  }
  const bundle = await importBundle(bundlePath, manifest.bundle?.sha256 ?? manifest.hash);
  return { manifest, bundle, missing: findMissingExports(manifest.monitors, bundle), refusedLabels, bundleUrl };
}

/** Monitors the outdated-labels warning names; a fleet with thousands of them gets a count for the rest. */
const OUTDATED_LABELS_LISTED = 10;

/**
 * The one start-up warning for an artifact whose monitor labels the compiler now refuses, naming
 * the first ten monitors with their labels and counting the rest; null when there are none.
 */
export function outdatedLabelsWarning(refused: LoadedArtifact["refusedLabels"]): string | null {
  if (refused.length === 0) return null;
  const shown = refused.slice(0, OUTDATED_LABELS_LISTED).map((r) => `monitor "${r.monitorId}" (${r.names.map((n) => JSON.stringify(n)).join(", ")})`);
  const more = refused.length - shown.length;
  const listed = shown.join(", ") + (more > 0 ? ` and ${more} more monitor${more === 1 ? "" : "s"} (\`wk validate\` lists them all)` : "");
  return (
    `the artifact's monitor labels break the label name rule ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __): ${listed}; ` +
    `it runs as compiled, but the next \`wk compile\` refuses these names (rename them as its hint says, and update silences that match them)`
  );
}

const EMPTY_ARRAY: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Shares what monitors hold alike, in place in a freshly parsed value: one string for each text (a
 * default summary, a runbook, a service or channel id), one frozen empty array and one frozen empty
 * object. Returns the value, or the shared empty one that stands for it.
 */
function shareAlike(value: unknown, texts: Map<string, string>): unknown {
  if (typeof value === "string") {
    const known = texts.get(value);
    if (known !== undefined) return known;
    texts.set(value, value);
    return value;
  }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return EMPTY_ARRAY;
    for (let i = 0; i < value.length; i++) value[i] = shareAlike(value[i], texts);
    return value;
  }
  const record = value as Record<string, unknown>;
  let empty = true;
  for (const key in record) {
    empty = false;
    record[key] = shareAlike(record[key], texts);
  }
  return empty ? EMPTY_OBJECT : record;
}

/**
 * The manifest with each monitor's spec laid out again by JSON.parse, the runtime's copy:
 * - The schema's parse builds an object by adding its keys one at a time; past the few slots V8
 *   reserves inside an object, the rest go to a second array (about 180 bytes a spec, 60 a check).
 *   JSON.parse sizes each object for all of its keys.
 * - Empty arrays and objects (no labels, no headers, no diagnostics, no previous ids: seven or so a
 *   monitor, 32-56 bytes each) become one frozen empty array and one frozen empty object. The
 *   runtime never changes a spec; frozen, a change would throw rather than reach every monitor.
 * - Equal texts become one string: V8 shares only the short ones JSON.parse reads.
 * The specs are JSON values (the schema has no transforms and no defaults), so the copy equals the
 * original. One spec at a time, so start-up never holds two copies of all of them. At 10,000
 * monitors this is about 6 MB of the heap, for about 0.15 s of start-up (docs/runtime.md, "Memory
 * and CPU").
 */
function withCompactMonitors(manifest: Manifest): Manifest {
  const texts = new Map<string, string>();
  return { ...manifest, monitors: manifest.monitors.map((m) => shareAlike(JSON.parse(JSON.stringify(m)), texts) as MonitorSpec) };
}

/**
 * The manifest's JSON, parsed. Its own function so the text (12 MB at 10,000 monitors) is garbage
 * before validation builds the checked specs: start-up's peak holds two copies, not three.
 */
async function readManifestJson(manifestPath: string): Promise<unknown> {
  const bytes = await readArtifactFile(manifestPath, "no compiled artifact there", { bytes: MAX_MANIFEST_BYTES, refuse: (size) => manifestTooLarge(manifestPath, size) });
  if (bytes.length > MAX_MANIFEST_BYTES) throw manifestTooLarge(manifestPath, bytes.length); // it grew after its size was checked
  // A copy re-saved on Windows (PowerShell's Set-Content, an editor) starts with a byte order mark,
  // which JSON.parse refuses; UTF-16 or bytes that are not UTF-8 are said as such, not as a JSON error at character 0.
  const decoded = textOfFile(bytes);
  if ("problem" in decoded) throw new ArtifactError(`${manifestPath} ${decoded.problem}; \`wk compile\` writes it as UTF-8: deploy the file it wrote`);
  const text = decoded.text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The largest manifest.json read: V8's longest string (about 511 MiB), since the manifest is
 * parsed from one string. Past it Node throws a RangeError while decoding; checked before reading,
 * a larger file is an ArtifactError naming it, and the half a gigabyte is never read.
 */
export const MAX_MANIFEST_BYTES = bufferConstants.MAX_STRING_LENGTH;

function manifestTooLarge(path: string, size: number): ArtifactError {
  const mib = (n: number) => `${Math.floor(n / 1024 / 1024)} MiB`;
  return new ArtifactError(
    `${path} is ${size} bytes (${mib(size)}), larger than the ${mib(MAX_MANIFEST_BYTES)} a manifest can be read as (the longest string Node can hold); ` +
      `\`wk compile\` writes far smaller ones (about 1.2 KB a monitor): compile the project again and deploy that artifact`,
  );
}

/** An artifact file's bytes; only a regular file (or a link to one), within `limit` when given, is read. */
async function readArtifactFile(path: string, whenMissing: string, limit?: { bytes: number; refuse: (size: number) => ArtifactError }): Promise<Buffer> {
  try {
    // Non-blocking, then checked: a FIFO in the file's place would otherwise hold start-up forever, without a word.
    const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const s = await file.stat();
      requireFile(path, s);
      if (limit !== undefined && s.size > limit.bytes) throw limit.refuse(s.size);
      return await file.readFile();
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ArtifactError(`${path} does not exist: ${whenMissing}`);
    throw new ArtifactError(`cannot read ${path}: ${code ?? String(error)}`);
  }
}

/**
 * Refuses a monitors.mjs other than the one compiled with the manifest: a stale bundle whose
 * export names still match would otherwise run the old code under the new manifest, without a word.
 */
async function requireSealedBundle(bundlePath: string, manifestPath: string, expected: string): Promise<void> {
  const actual = bundleSha256(await readArtifactFile(bundlePath, `${manifestPath} was compiled with a monitors.mjs beside it`));
  if (actual !== expected) {
    throw new ArtifactError(
      `${bundlePath} is not the monitors.mjs compiled with ${manifestPath} (its sha256 is ${actual}, the manifest records ${expected}); ` +
        `the two files come from different compiles: deploy both files of one \`wk compile\` together`,
    );
  }
}

/** Imports a bundle by file URL; the hash in the query keeps a re-import from returning a stale module. */
export async function importBundle(path: string, version: string): Promise<MonitorBundle> {
  let mod: { default?: unknown };
  try {
    // import() would wait forever on a FIFO: only a regular file (or a link to one) is loaded.
    requireFile(path, await stat(path));
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    throw new ArtifactError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    mod = (await import(bundleUrlOf(path, version))) as { default?: unknown };
  } catch (error) {
    throw new ArtifactError(`cannot load ${path}: ${(error as Error).message}`);
  }
  const exported = mod.default;
  if (exported === undefined || exported === null || typeof exported !== "object") {
    throw new ArtifactError(`${path} must \`export default\` an object keyed by monitor id`);
  }
  return exported as MonitorBundle;
}

function bundleUrlOf(path: string, version: string): string {
  return `${pathToFileURL(path).href}?v=${encodeURIComponent(version)}`;
}

/** Throws an ArtifactError unless the artifact file is a regular file. */
function requireFile(path: string, s: Stats): void {
  if (s.isFile()) return;
  const kind = s.isDirectory() ? "a folder" : s.isFIFO() ? "a FIFO" : s.isSocket() ? "a socket" : "a device";
  throw new ArtifactError(`${path} is ${kind}, not a file`);
}

/** The functions a monitor's code may export for the runtime to call. */
export const CODE_EXPORTS = ["condition", "summary", "run", "extract"] as const;

/**
 * A monitor's code in the bundle: its own entry only. `constructor` is a valid kebab-case id, and
 * the bundle is a plain object: a lookup that reached Object.prototype would hand a monitor without
 * code the function Object as its code.
 */
export function codeOf(bundle: MonitorBundle, monitorId: string): MonitorCode | undefined {
  return Object.hasOwn(bundle, monitorId) ? bundle[monitorId] : undefined;
}

/** Compares each monitor's code flags with what the bundle exports. */
export function findMissingExports(monitors: MonitorSpec[], bundle: MonitorBundle): MissingExport[] {
  const missing: MissingExport[] = [];
  for (const m of monitors) {
    const code = codeOf(bundle, m.id);
    for (const name of CODE_EXPORTS) {
      if (m.code[name] && typeof code?.[name] !== "function") missing.push({ monitorId: m.id, export: name });
    }
  }
  return missing;
}
