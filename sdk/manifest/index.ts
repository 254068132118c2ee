import { createHash } from "node:crypto";
import { API_VERSION, asDeployedArtifact, manifestSchema, withoutLimits, type Manifest } from "./schema.js";

export * from "./schema.js";

/** JSON with object keys sorted at every level: the manifest's canonical, deterministic form. */
export function canonicalJson(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    // No prototype: a "__proto__" key (JSON.parse makes it an own key) stays data, not a setter.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * The content hash of a manifest: sha256 over its canonical JSON without the `hash` field. The
 * JSON is hashed as it is written, in pieces, never as one string: for 10,000 monitors that string
 * is 12 MB, and hashing it whole made the runtime's start-up peak 35 MB higher than its steady state.
 */
export function manifestHash(manifest: Omit<Manifest, "hash"> | Manifest): string {
  const { hash: _ignored, bundle: _written, ...rest } = manifest as Manifest;
  const hash = createHash("sha256");
  let pending = "";
  writeCanonical(rest, (piece) => {
    pending += piece;
    if (pending.length >= 64 * 1024) {
      hash.update(pending);
      pending = "";
    }
  });
  return "sha256:" + hash.update(pending).digest("hex");
}

/**
 * Writes exactly `canonicalJson(value, 0)`, piece by piece: the manifest and its lists here, each
 * entry of a list (a monitor, a service) as one piece from JSON.stringify over a key-sorted copy.
 * An entry is a few kilobytes. The first hash of the compile benchmark's manifest (1,000 monitors)
 * took 94-101 ms value by value, 53-69 ms this way (bench/results/compile.md).
 */
function writeCanonical(value: unknown, write: (piece: string) => void, depth = 0): void {
  if (depth >= 2 && value !== null && typeof value === "object") {
    write(JSON.stringify(sortKeys(value)));
    return;
  }
  if (Array.isArray(value)) {
    write("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) write(",");
      const v: unknown = value[i];
      // JSON.stringify writes what it cannot represent in an array as null.
      if (v === undefined || typeof v === "function" || typeof v === "symbol") write("null");
      else writeCanonical(v, write, depth + 1);
    }
    write("]");
    return;
  }
  if (value !== null && typeof value === "object") {
    write("{");
    let first = true;
    for (const key of canonicalKeys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      write(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      writeCanonical(v, write, depth + 1);
    }
    write("}");
    return;
  }
  write(JSON.stringify(value));
}

/**
 * An object's keys in the order `canonicalJson` writes them. It writes a copy with the keys
 * inserted in sorted order, and JavaScript lists an object's integer-like keys ("0", "404") first,
 * ascending by value, then the rest in insertion order.
 */
function canonicalKeys(value: object): string[] {
  const keys = Object.keys(value).sort();
  const indexes = keys.filter(isArrayIndex);
  if (indexes.length === 0) return keys;
  return [...indexes.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1;
}

/** Fills in the content hash. */
export function sealManifest(manifest: Omit<Manifest, "hash">): Manifest {
  return { ...manifest, hash: manifestHash(manifest) } as Manifest;
}

/** The hex sha256 of a compiled monitors.mjs, as the manifest's `bundle.sha256` records it. */
export function bundleSha256(bundle: string | Uint8Array): string {
  return createHash("sha256").update(bundle).digest("hex");
}

/**
 * The manifest as written beside `bundle` (monitors.mjs): it records the bundle's sha256, so a
 * runtime given another compile's monitors.mjs refuses to start. The content hash stays as it was.
 */
export function withBundleSeal(manifest: Manifest, bundle: string): Manifest {
  return { ...manifest, bundle: { sha256: bundleSha256(bundle) } };
}

export type ManifestLoadResult =
  | { ok: true; manifest: Manifest }
  | { ok: false; reason: string };

/** An apiVersion as the refusal shows it: a short text as written, anything else by its kind (a file's content never goes into the message whole). */
function shownVersion(apiVersion: unknown): string {
  if (apiVersion === undefined) return "(none)";
  if (typeof apiVersion === "string") return apiVersion.length <= 64 ? JSON.stringify(apiVersion) : `${JSON.stringify(apiVersion.slice(0, 64))}... (${apiVersion.length} characters)`;
  return Array.isArray(apiVersion) ? "(an array)" : apiVersion === null ? "null" : typeof apiVersion === "object" ? "(an object)" : String(apiVersion).slice(0, 64);
}

export interface ParseManifestOptions {
  /**
   * Enforce the schema's limits (URLs, header names, caps, reserved secrets, names). A manifest
   * about to run needs them (`loadArtifact`); one that says what a stack already runs (a plan's or
   * a deploy's base, compiled before a limit existed) is read without them, so the deploy that
   * fixes it can still run. Default false.
   */
  limits?: boolean;
  /**
   * With `limits`: read a deployed artifact, which an older compiler may have written. The rules
   * added since (monitor label names, `refusedMonitorLabels`) do not refuse it; the runtime warns
   * instead, and the next compile refuses. Default false: a compile's manifest is held to every rule.
   */
  compiledBefore?: boolean;
}

/**
 * Validates untrusted JSON as a manifest. Refuses an unknown apiVersion with a reason that says
 * which versions this build understands, and a schema mismatch with the first problems found.
 */
export function parseManifest(json: unknown, options: ParseManifestOptions = {}): ManifestLoadResult {
  if (json === null || typeof json !== "object") {
    return { ok: false, reason: "the manifest is not a JSON object" };
  }
  const apiVersion = (json as { apiVersion?: unknown }).apiVersion;
  if (apiVersion !== API_VERSION) {
    return {
      ok: false,
      reason:
        `unsupported manifest apiVersion ${shownVersion(apiVersion)}; this build understands ${API_VERSION}. ` +
        `Recompile the project with this version of watchkeeper, or upgrade watchkeeper.`,
    };
  }
  const parse = () => manifestSchema.safeParse(json);
  const parsed = !options.limits ? withoutLimits(parse) : options.compiledBefore ? asDeployedArtifact(parse) : parse();
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    return { ok: false, reason: `the manifest does not match the ${API_VERSION} schema: ${problems}` };
  }
  const manifest = parsed.data;
  const expected = manifestHash(manifest);
  if (manifest.hash !== expected) {
    return { ok: false, reason: `the manifest's content hash does not match its content (edited by hand?)` };
  }
  return { ok: true, manifest };
}
