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

const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * The one-unit duration a compound one means ("1h30m" -> "90m", "2m30s" -> "150s"), in the
 * largest unit that holds it whole; null when `text` is not two or more number-and-unit parts.
 */
export function meantCompound(text: string): string | null {
  const parts = text.trim().match(/\d+(?:\.\d+)?\s*[A-Za-z]+/g);
  if (!parts || parts.length < 2 || parts.join("").replace(/\s/g, "") !== text.replace(/\s/g, "")) return null;
  let total = 0;
  for (const part of parts) {
    const one = meantDuration(part);
    if (one === null) return null;
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(\D+)$/.exec(one)!;
    total += Number(amount) * UNIT_MS[unit!]!;
  }
  const unit = Object.keys(UNIT_MS).find((u) => total % UNIT_MS[u]! === 0) ?? "ms";
  return `${Math.round(total / UNIT_MS[unit]!)}${unit}`;
}

/** What to do about a value that is not a duration, with the spelling meant when there is one. */
export function durationHint(text: unknown): string {
  const rule = 'a duration is a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"';
  const write = 'write a number and a unit with no space: "250ms", "90s", "5m", "4h", "14d", "1w"';
  if (typeof text !== "string") return write;
  const compound = meantCompound(text);
  if (compound !== null) return `did you mean "${compound}"? (a duration is one number and one unit: "${text}" is not read; "250ms", "90s", "5m", "4h", "14d", "1w")`;
  const meant = meantDuration(text);
  if (meant !== null && meant !== text) return `did you mean "${meant}"? (${rule})`;
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return `add a unit: "${text.trim()}s" or "${text.trim()}m" (${rule})`;
  return text.trim().startsWith("-") ? `durations are never negative; ${write}` : write;
}
