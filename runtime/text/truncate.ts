/**
 * Shortening text for wire formats and stored messages. Cuts fall on grapheme cluster boundaries
 * (an emoji, a flag or a letter with its combining marks stays whole) and the output is always
 * well-formed UTF-16, whatever the input held: vendors reject or mangle lone surrogates.
 * Lengths are UTF-16 code units, which is never less than what a vendor counts as characters.
 */

/** Marks a cut in short fields, where a longer marker would eat the budget. */
export const CUT_MARKER = "…";

/**
 * Made by the first cut that needs it: a segmenter loads ICU's break rules into the process (about
 * 1 MB of resident pages in an idle node process), which a runtime whose texts all fit never needs.
 */
let segmenter: Intl.Segmenter | null = null;
/** Graphemes are segmented only in this window before the cut: a cut stays cheap on megabytes of text. */
const SEGMENT_WINDOW = 1024;

/** Cuts text to at most `max` code units, ending with `…` when something was cut. */
export function truncate(text: string, max: number): string {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  if (max < CUT_MARKER.length) return "";
  return headWithin(clean, max - CUT_MARKER.length) + CUT_MARKER;
}

/** The marker for long fields, saying how much went: `…[truncated 12345 characters]`. */
export function truncatedMarker(removed: number): string {
  return `${CUT_MARKER}[truncated ${removed} characters]`;
}

/**
 * Cuts text to at most `max` code units with a marker that says how many were dropped, so a
 * reader of a page or a payload knows it is not looking at everything.
 */
export function truncateMarked(text: string, max: number): string {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  // The marker's own length depends on the count it shows; the count's digits never exceed the text's.
  const markerMax = truncatedMarker(clean.length).length;
  if (max < markerMax) return truncate(clean, max);
  const head = headWithin(clean, max - markerMax);
  return head + truncatedMarker(clean.length - head.length);
}

/** The longest run of whole grapheme clusters from the start that fits in `max` code units. */
export function headWithin(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  // Segment a window ending just past the cut; its first segment may start mid-cluster, so it is
  // never used as a boundary unless the window starts the text. A run of regional indicators
  // longer than the window can pair differently here: the cut then falls between two whole flags'
  // code points, which is still well-formed.
  const start = Math.max(0, max - SEGMENT_WINDOW);
  const window = text.slice(start, max + 16);
  let end = start;
  let first = true;
  for (const { index, segment } of (segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" })).segment(window)) {
    const segmentEnd = start + index + segment.length;
    if (segmentEnd > max) break;
    if (!first || start === 0) end = segmentEnd;
    first = false;
  }
  // Never leave a high surrogate without its pair, even on a boundary the window misjudged.
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Lone surrogates in the input (user text can hold them) become U+FFFD. */
export function wellFormed(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE_ALL, "\uFFFD") : text;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, "g");

/** UTF-8 size of a string: what a vendor's byte limit counts. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
