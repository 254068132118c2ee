/** Reads a dotted path (`data.items.0.id`) from parsed JSON; `found` is false when any step is missing. */
export function readPath(value: unknown, path: string): { found: boolean; value: unknown } {
  let current: unknown = value;
  for (const step of path.split(".")) {
    if (Array.isArray(current)) {
      const index = Number(step);
      if (!Number.isInteger(index) || index < 0 || index >= current.length) return { found: false, value: undefined };
      current = current[index];
    } else if (typeof current === "object" && current !== null && Object.hasOwn(current, step)) {
      current = (current as Record<string, unknown>)[step];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: current };
}

/** A number, or a string holding one (APIs often send `"12.5"`); null otherwise. */
export function asNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Parses JSON, returning undefined for anything that is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
