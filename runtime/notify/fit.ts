import { headWithin, truncatedMarker, utf8Bytes, wellFormed } from "../text/truncate.js";

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
  for (const part of parts) {
    const over = current - budget;
    if (over <= 0) return cut;
    const value = part.read();
    if (value === undefined || value === null) continue;
    const text = wellFormed(typeof value === "string" ? value : (JSON.stringify(value) ?? ""));
    if (text.length === 0) continue;
    const before = size(value);
    cut = true;
    // The overshoot is in the size's unit (bytes of JSON), not in code units: a CJK character is
    // 3 bytes, an emoji 4, a quote 2 once escaped. So the cut is measured in that unit too.
    // Nothing of it fits: only the marker stays, so the reader still sees that it existed. A part
    // smaller than its own marker stays whole: the marker would grow the payload.
    const marker = truncatedMarker(text.length);
    const shortened = headFitting(text, text === value ? before : size(text), before - over, size) ?? { text: marker, size: size(marker) };
    if (shortened.size >= before) continue;
    part.write(shortened.text);
    current += shortened.size - before;
  }
  return cut;
}

/**
 * The longest cut of `text` (whole grapheme clusters, then the marker) whose size is at most
 * `room`, or null when not even the marker alone fits. Each probe measures one candidate, so the
 * cut is as long as the size allows whatever the mix of one- and multi-byte characters. The first
 * probe is where the text's average size per code unit (`whole` is the size of all of it) puts
 * the cut; a gallop from there brackets it and a binary search closes in, so even a megabyte
 * costs a handful of measures.
 */
function headFitting(text: string, whole: number, room: number, size: (p: unknown) => number): { text: string; size: number } | null {
  const cutAt = (max: number): { text: string; size: number } => {
    const head = headWithin(text, max);
    const cut = head + truncatedMarker(text.length - head.length);
    return { text: cut, size: size(cut) };
  };
  let best = cutAt(0);
  if (best.size > room) return null;
  const last = text.length - 1;
  const fits = (max: number): boolean => {
    const candidate = cutAt(max);
    if (candidate.size > room) return false;
    best = candidate;
    return true;
  };
  const markerSize = best.size;
  const guess = Math.min(last, Math.max(0, Math.floor((text.length * (room - markerSize)) / Math.max(1, whole))));
  // Invariant: the cut at lo fits (and is `best`), and no cut past hi does.
  let lo = 0;
  let hi = last;
  let step = 8;
  if (fits(guess)) {
    lo = guess;
    for (let next = lo + step; next <= last; next = lo + step) {
      if (!fits(next)) {
        hi = next - 1;
        break;
      }
      lo = next;
      step *= 2;
    }
  } else {
    let failed = guess;
    for (;;) {
      const next = failed - step;
      if (next <= 0) {
        hi = failed - 1;
        break;
      }
      if (fits(next)) {
        lo = next;
        hi = failed - 1;
        break;
      }
      failed = next;
      step *= 2;
    }
  }
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return best;
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
