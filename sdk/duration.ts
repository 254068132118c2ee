/** A duration such as `"90s"`, `"5m"`, `"4h"`, `"2d"`, `"1w"` or `"250ms"`. */
export type Duration = `${number}${"ms" | "s" | "m" | "h" | "d" | "w"}`;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses a duration string to milliseconds; returns undefined when it is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

/** Parses a duration string known to be valid (the manifest schema checked it). */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return ms;
}

export function isDuration(text: unknown): text is Duration {
  return typeof text === "string" && DURATION_RE.test(text.trim());
}
