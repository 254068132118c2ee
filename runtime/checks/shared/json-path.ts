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

/**
 * Parses JSON, returning undefined for anything that is not JSON. A leading byte order mark is
 * skipped, as fetch's `json()` does: some servers (IIS, .NET) start every UTF-8 body with one, and
 * JSON.parse alone calls such a healthy answer "not JSON".
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The start of a JSON value's text, at most about `max` characters, ending in `…` when cut (so a
 * secret's head at the cut is still found and redacted). A response value is echoed in a failure
 * line; JSON.stringify of a hostile one (nested 400,000 deep) overflows the stack, and of a large one
 * builds a megabyte to keep eighty characters. Each step adds a character, so the walk goes no
 * deeper than `max`.
 */
export function jsonPreview(value: unknown, max: number): string {
  let out = "";
  const full = (): boolean => out.length > max;
  const walk = (v: unknown): void => {
    if (full()) return;
    if (Array.isArray(v)) {
      out += "[";
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ",";
        walk(v[i]);
      }
      if (!full()) out += "]";
    } else if (typeof v === "object" && v !== null) {
      out += "{";
      let first = true;
      for (const key in v) {
        if (full()) break;
        if (!Object.hasOwn(v, key)) continue;
        out += `${first ? "" : ","}${JSON.stringify(key.slice(0, max))}:`;
        first = false;
        walk((v as Record<string, unknown>)[key]);
      }
      if (!full()) out += "}";
    } else if (typeof v === "string") {
      out += JSON.stringify(v.slice(0, max + 1));
    } else if (typeof v === "number" && !Number.isFinite(v)) {
      // A number too large for a double (1e999) parses as Infinity; JSON.stringify would show null.
      out += String(v);
    } else {
      out += JSON.stringify(v) ?? "undefined";
    }
  };
  walk(value);
  return full() ? `${out.slice(0, max)}…` : out;
}
