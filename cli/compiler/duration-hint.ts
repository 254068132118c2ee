/** Unit words people write, by the unit Watchkeeper spells them with. */
const UNIT_WORDS: Record<string, string> = {
  ms: "ms", msec: "ms", msecs: "ms", millisecond: "ms", milliseconds: "ms",
  s: "s", sec: "s", secs: "s", second: "s", seconds: "s",
  m: "m", min: "m", mins: "m", minute: "m", minutes: "m",
  h: "h", hr: "h", hrs: "h", hour: "h", hours: "h",
  d: "d", day: "d", days: "d",
  w: "w", wk: "w", wks: "w", week: "w", weeks: "w",
};

/**
 * The duration an author most likely meant by `text` ("5min" -> "5m", "2 m" -> "2m",
 * "1 week" -> "1w"), or null when it cannot be read as one.
 */
export function meantDuration(text: string): string | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!match) return null;
  const unit = UNIT_WORDS[match[2]!] ?? UNIT_WORDS[match[2]!.toLowerCase()];
  return unit ? `${match[1]}${unit}` : null;
}

/** What to do about a value that is not a duration, with the spelling meant when there is one. */
export function durationHint(text: unknown): string {
  const rule = 'a duration is a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"';
  const write = 'write a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"';
  if (typeof text !== "string") return write;
  const meant = meantDuration(text);
  if (meant !== null && meant !== text) return `did you mean "${meant}"? (${rule})`;
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return `add a unit: "${text.trim()}s" or "${text.trim()}m" (${rule})`;
  return text.trim().startsWith("-") ? `durations are never negative; ${write}` : write;
}
