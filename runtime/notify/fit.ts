import { truncatedMarker, truncateMarked, utf8Bytes, wellFormed } from "../text/truncate.js";

/** One part of a payload that may be shortened to make it fit; listed least important first. */
export interface Shrinkable {
  read(): unknown;
  /** Replaces the part with a shortened text (a JSON value becomes its shortened JSON text). */
  write(text: string): void;
}

/** A field of a record, as a Shrinkable; absent fields are skipped. */
export function field(record: Record<string, unknown> | undefined, key: string): Shrinkable {
  return {
    read: () => (record && key in record ? record[key] : undefined),
    write: (text) => {
      if (record) record[key] = text;
    },
  };
}

/** UTF-8 size of a payload's JSON: what vendors' byte limits count. */
export function jsonBytes(payload: unknown): number {
  return utf8Bytes(JSON.stringify(payload));
}

/**
 * Shortens parts of `payload` in place, in the order given, until `size(payload) <= budget`. Each
 * cut keeps the head and says how much went (`…[truncated N characters]`), so a reader knows the
 * page is not the whole story. Returns whether anything was cut; the caller decides what to do if
 * the parts run out before the payload fits (nothing it lists can grow the payload).
 */
export function shrinkToFit(payload: unknown, budget: number, parts: Shrinkable[], size: (p: unknown) => number = jsonBytes): boolean {
  let cut = false;
  // The payload is measured once; each cut changes it by what the part's own JSON changed (the
  // keys stay), so thousands of parts cost one pass, not one measure of the whole payload each.
  let current = size(payload);
  const replace = (part: Shrinkable, before: unknown, text: string) => {
    part.write(text);
    current += size(text) - size(before);
  };
  for (const part of parts) {
    // Removing n code units removes at least n bytes (and n characters), so one cut per part
    // usually suffices; the loop covers a marker that did not fit in the first cut's room.
    for (let attempt = 0; attempt < 6; attempt++) {
      const over = current - budget;
      if (over <= 0) return cut;
      const value = part.read();
      if (value === undefined || value === null) break;
      const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
      if (text.length === 0) break;
      const max = text.length - over;
      cut = true;
      const marker = truncatedMarker(text.length);
      if (max < marker.length) {
        // Nothing of it fits: only the marker stays, so the reader still sees that it existed. A
        // part shorter than its own marker stays whole: the marker would grow the payload.
        if (marker.length < text.length) replace(part, value, marker);
        break;
      }
      replace(part, value, truncateMarked(text, max));
    }
  }
  return cut;
}

/**
 * A JSON value with every string (keys included) made well-formed: a lone surrogate that a check or
 * an author wrote becomes U+FFFD. JSON.stringify would send it as a `\udxxx` escape, which strict
 * decoders refuse (and a whole event with it) and others turn into garbage at the receiver.
 */
export function wellFormedJson<T>(value: T): T {
  if (typeof value === "string") return wellFormed(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => wellFormedJson(item)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[wellFormed(key)] = wellFormedJson(item);
    return out as T;
  }
  return value;
}
