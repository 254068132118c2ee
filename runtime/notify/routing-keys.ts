import { readFileSync, statSync } from "node:fs";

export const DEFAULT_ROUTING_KEYS_FILE = ".watchkeeper/routing-keys.json";

/** Far above what a deploy writes (a key per service): a larger file is not one to read on the event loop. */
export const MAX_KEY_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A JSON file `{ id: value }` written by `wk deploy` (routing keys per service), re-read when it
 * changes so that a deploy does not need a restart. A missing or unreadable file reads as empty,
 * and so does one that is not a regular file (a FIFO would hold the event loop until something
 * wrote to it) or is larger than MAX_KEY_FILE_BYTES.
 */
export class KeyFile {
  private cached: { mtimeMs: number; values: Record<string, string> } | null = null;

  constructor(readonly path: string) {}

  get(id: string): string | undefined {
    return this.values()[id];
  }

  /** Every value, for redaction. */
  all(): string[] {
    return Object.values(this.values());
  }

  private values(): Record<string, string> {
    let mtimeMs: number;
    try {
      const stat = statSync(this.path);
      if (!stat.isFile() || stat.size > MAX_KEY_FILE_BYTES) throw new Error("not a file to read");
      mtimeMs = stat.mtimeMs;
    } catch {
      this.cached = null;
      return {};
    }
    if (this.cached && this.cached.mtimeMs === mtimeMs) return this.cached.values;
    try {
      const parsed = JSON.parse(readFileSync(this.path, "utf8")) as unknown;
      const values: Record<string, string> = {};
      if (parsed && typeof parsed === "object") {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === "string" && v !== "") values[k] = v;
      }
      this.cached = { mtimeMs, values };
      return values;
    } catch {
      return {};
    }
  }
}
