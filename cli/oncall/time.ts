import { isTimeZone, offsetAt, parseZonedDateTime, zonedParts } from "../../sdk/oncall/zoned-time.js";

/** Why a `--at` value was refused, and how to write it instead. */
export interface TimeRefusal {
  error: string;
  hint: string;
}

const EXAMPLES = "e.g. now, 2026-03-28T03:12:00Z, 2026-03-28T03:12+01:00 or \"2026-03-28T03:12 Europe/Berlin\"";

/**
 * Reads a point in time from the command line: `now`, ISO 8601 with `Z` or an offset, or an ISO
 * 8601 wall-clock time followed by an IANA zone (`2026-03-28T03:12 Europe/Berlin`). A wall-clock
 * time with neither is refused: guessing the machine's zone would make the answer depend on
 * where the command runs. The zone is returned too, to show the answer in it.
 */
export function parseInstant(text: string, now: number): { at: number; zone: string | null } | TimeRefusal {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === "now") return { at: now, zone: null };
  // JavaScript's Date reads years 0 to 99 as 1900 to 1999, and no schedule reaches back before 1970.
  const year = /^(\d{4})-/.exec(trimmed);
  if (year && Number(year[1]) < 1970) return { error: `--at ${JSON.stringify(text)} is before 1970`, hint: `give a time from 1970 on, ${EXAMPLES}` };
  const zoned = /^(\S+?)(?:[T ](\S+))?\s+([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*)$/.exec(trimmed);
  if (zoned) {
    const [, date, time, zone] = zoned as unknown as [string, string, string | undefined, string];
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return refuse(text);
    if (!isTimeZone(zone)) return { error: `--at ${JSON.stringify(text)}: unknown time zone "${zone}"`, hint: `use an IANA zone such as Europe/Berlin or UTC; ${EXAMPLES}` };
    const wall = time ? `${date}T${time}` : date;
    if (/(Z|[+-]\d{2}:?\d{2})$/i.test(wall)) return { error: `--at ${JSON.stringify(text)}: give an offset or a zone, not both`, hint: EXAMPLES };
    const at = validWall(wall) ? parseZonedDateTime(wall, zone) : undefined;
    return at === undefined ? refuse(text) : { at, zone };
  }
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) {
    if (validWall(trimmed.replace(" ", "T"))) {
      const wall = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00` : trimmed;
      return { error: `--at ${JSON.stringify(text)}: a wall-clock time needs an offset or a time zone`, hint: `say which clock: ${wall}Z, ${wall}+01:00 or "${wall} Europe/Berlin"` };
    }
    return refuse(text);
  }
  const at = validWall(trimmed.replace(/(Z|[+-]\d{2}:?\d{2})$/i, "").replace(" ", "T")) ? parseZonedDateTime(trimmed, "UTC") : undefined;
  return at === undefined ? refuse(text) : { at, zone: null };
}

function refuse(text: string): TimeRefusal {
  return { error: `--at ${JSON.stringify(text)} is not a time`, hint: `write ISO 8601 with an offset or a zone, ${EXAMPLES}` };
}

/** A real calendar date and time of day (2026-02-30 is not), before any zone is applied. */
function validWall(wall: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(wall);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-03-28 03:12 +01:00` (seconds shown only when not zero), as a person in `zone` reads it. */
export function formatInstant(instant: number, zone: string): string {
  const p = zonedParts(instant, zone);
  const offset = Math.round(offsetAt(instant, zone) / 60_000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const seconds = p.second === 0 ? "" : `:${pad(p.second)}`;
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}${seconds} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An instant as ISO 8601 in UTC without milliseconds, for JSON. */
export function isoInstant(instant: number): string {
  return new Date(instant).toISOString().replace(/\.000Z$/, "Z");
}

/** `1h 30m`, `45s`, `0s`: a span as a person says it. */
export function formatSpan(ms: number): string {
  if (ms <= 0) return "0s";
  const parts: string[] = [];
  let rest = Math.floor(ms / 1000);
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ") || "0s";
}
