import { readFileSync, statSync } from "node:fs";

export const DEFAULT_ROUTING_KEYS_FILE = ".watchkeeper/routing-keys.json";

/** Far above what a deploy writes (a key per service): a larger file is not one to read on the event loop. */
export const MAX_KEY_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Where a routing keys file keeps the keys a rotation replaced, by id, newest first:
 * `{ "payments": "NEW", "$previous": { "payments": ["OLD"] } }`. An older runtime skips it (not a
 * string), and no id can take its name (ids are kebab-case).
 */
export const PREVIOUS_KEYS_FIELD = "$previous";

/**
 * A JSON file `{ id: value }` written by `wk deploy` (routing keys per service), re-read when it
 * changes so that a deploy does not need a restart. A missing or unreadable file reads as empty,
 * and so does one that is not a regular file (a FIFO would hold the event loop until something
 * wrote to it) or is larger than MAX_KEY_FILE_BYTES. Values a rotation replaced may be kept under
 * PREVIOUS_KEYS_FIELD, so that an incident opened with one can still be resolved with it.
 */
export class KeyFile {
  private cached: { mtimeMs: number; values: Record<string, string>; previous: Record<string, string[]> } | null = null;

  constructor(readonly path: string) {}

  get(id: string): string | undefined {
    return this.read().values[id];
  }

  /** The values a rotation replaced for `id`, newest first. */
  previous(id: string): string[] {
    return this.read().previous[id] ?? [];
  }

  /** What the file holds now: values by id, and the previous ones by id. */
  contents(): { values: Record<string, string>; previous: Record<string, string[]> } {
    const { values, previous } = this.read();
    return { values: { ...values }, previous: { ...previous } };
  }

  /** Every value, previous ones included, for redaction. */
  all(): string[] {
    const { values, previous } = this.read();
    return [...Object.values(values), ...Object.values(previous).flat()];
  }

  private read(): { values: Record<string, string>; previous: Record<string, string[]> } {
    const empty = { values: {}, previous: {} };
    let mtimeMs: number;
    try {
      const stat = statSync(this.path);
      if (!stat.isFile() || stat.size > MAX_KEY_FILE_BYTES) throw new Error("not a file to read");
      mtimeMs = stat.mtimeMs;
    } catch {
      this.cached = null;
      return empty;
    }
    if (this.cached && this.cached.mtimeMs === mtimeMs) return this.cached;
    try {
      const parsed = JSON.parse(readFileSync(this.path, "utf8")) as unknown;
      const values: Record<string, string> = {};
      const previous: Record<string, string[]> = {};
      if (parsed && typeof parsed === "object") {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === "string" && v !== "") values[k] = v;
        const kept = (parsed as Record<string, unknown>)[PREVIOUS_KEYS_FIELD];
        if (kept && typeof kept === "object" && !Array.isArray(kept)) {
          for (const [k, list] of Object.entries(kept)) {
            const keys = Array.isArray(list) ? list.filter((v): v is string => typeof v === "string" && v !== "") : [];
            if (keys.length > 0) previous[k] = keys;
          }
        }
      }
      this.cached = { mtimeMs, values, previous };
      return this.cached;
    } catch {
      return empty;
    }
  }
}

/**
 * The routing keys this process has sent with, per source (a service's entry in the keys file, a
 * secret), newest first: after a rotation, the key an alert's trigger went with is still at hand
 * for its acknowledge and resolve. In memory only; never stored.
 */
export class RoutingKeyHistory {
  private readonly bySource = new Map<string, string[]>();

  constructor(private readonly perSource = 8) {}

  /** Notes `key` as the current key of `source`; returns the keys it held before, newest first. */
  current(source: string, key: string): string[] {
    const seen = this.bySource.get(source) ?? [];
    if (seen[0] === key) return seen.slice(1);
    const next = [key, ...seen.filter((k) => k !== key)].slice(0, this.perSource);
    this.bySource.set(source, next);
    return next.slice(1);
  }

  /** Every key noted, for redaction. */
  all(): string[] {
    return [...this.bySource.values()].flat();
  }
}
