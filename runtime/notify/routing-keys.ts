import { readFileSync, statSync } from "node:fs";

export const DEFAULT_ROUTING_KEYS_FILE = ".watchkeeper/routing-keys.json";

/**
 * A JSON file `{ id: value }` written by `wk deploy` (routing keys per service), re-read when it
 * changes so that a deploy does not need a restart. A missing or unreadable file reads as empty.
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
      mtimeMs = statSync(this.path).mtimeMs;
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
