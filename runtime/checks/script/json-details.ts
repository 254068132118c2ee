/** Nesting kept of a script's details; deeper values are replaced by a marker. */
const MAX_DEPTH = 20;

/**
 * A script's `details` as plain JSON data, whatever its code returned. The store serialises every
 * result, and a value JSON cannot hold (a BigInt from a database driver, a cycle between objects)
 * made the whole evaluation fail to commit: the check's verdict was lost, and a failing check never
 * fired. BigInts become their decimal text, cycles and too-deep values a marker, `toJSON` is
 * honoured and functions and symbols are dropped (as JSON.stringify does), and details that are
 * not an object are kept under `value`.
 */
export function jsonDetails(details: unknown): Record<string, unknown> {
  if (details === undefined || details === null) return {};
  const copy = toJson(details, new Set(), 0);
  if (typeof copy === "object" && copy !== null && !Array.isArray(copy)) return copy as Record<string, unknown>;
  return copy === undefined ? {} : { value: copy };
}

function toJson(value: unknown, path: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (path.has(object)) return "[circular]";
  // As JSON.stringify: a Date, a Buffer, a driver's Decimal say themselves how they serialise.
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    let own: unknown;
    try {
      own = toJSON.call(object);
    } catch {
      return "[not serialisable]";
    }
    if (own !== object) return toJson(own, path, depth + 1);
  }
  if (depth >= MAX_DEPTH) return "[too deep]";
  path.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => toJson(item, path, depth + 1) ?? null);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const copy = toJson(item, path, depth + 1);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  } finally {
    path.delete(object);
  }
}
