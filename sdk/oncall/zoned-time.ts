/**
 * Wall-clock arithmetic in IANA time zones with nothing but Intl: the schedule's restrictions,
 * hand-offs and the gaps we report are all stated in the schedule's own zone.
 */

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 1 = Monday .. 7 = Sunday (PagerDuty's numbering). */
  weekday: number;
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

// Building an Intl formatter costs far more than using one; a rendering touches one zone
// thousands of times. The cache holds only immutable formatters, so sharing it is safe.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

let canonicalZones: Set<string> | undefined;

/** True when the runtime knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  // Intl's list of canonical zones answers most names without a formatter: the first formatter a
  // process builds loads ICU's zone data, about 10 ms a compile that needs no other. Aliases
  // ("UTC", "US/Pacific") and newer names are not in the list and ask a formatter.
  canonicalZones ??= new Set(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);
  if (canonicalZones.has(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function intlParts(instant: number, timeZone: string): ZonedParts {
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAY[out.weekday!] ?? 1,
  };
}

function intlOffset(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const p = intlParts(whole, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

const HOUR = 3_600_000;
// Offsets per zone and UTC hour. Rendering four weeks of a hundred schedules asks for the same
// few hundred hours again and again; Intl answers each in microseconds, but not thousands. One
// map per zone keyed by the hour number: a string key per lookup cost as much as the lookup.
const offsets = new Map<string, Map<number, number | null>>();
let cached = 0;

/** Offset of `timeZone` from UTC at an instant, in ms (Berlin in winter: +3600000). */
export function offsetAt(instant: number, timeZone: string): number {
  const hour = Math.floor(instant / HOUR);
  let zone = offsets.get(timeZone);
  if (!zone) offsets.set(timeZone, (zone = new Map()));
  let known = zone.get(hour);
  if (known === undefined) {
    // Constant across the hour unless a transition falls inside it; then ask Intl each time.
    const first = intlOffset(hour * HOUR, timeZone);
    known = first === intlOffset(hour * HOUR + HOUR - 1000, timeZone) ? first : null;
    if (++cached > 100_000) {
      offsets.clear();
      cached = 1;
      offsets.set(timeZone, (zone = new Map()));
    }
    zone.set(hour, known);
  }
  return known ?? intlOffset(instant, timeZone);
}

/** The wall clock in `timeZone` at an instant (ms since epoch). */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const wall = new Date(instant + offsetAt(instant, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: ((wall.getUTCDay() + 6) % 7) + 1,
  };
}

/**
 * The instant a wall-clock time happens in `timeZone`. A time skipped by a DST jump resolves
 * to the instant after the jump; a repeated time to its first occurrence.
 */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, second: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // The offsets half a day either side cover any transition near this wall time.
  const candidates = [wall - offsetAt(wall - 43_200_000, timeZone), wall - offsetAt(wall + 43_200_000, timeZone)];
  const valid = candidates.filter((t) => offsetAt(t, timeZone) === wall - t);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO 8601 date-time. With an offset or `Z` it is an instant; without one it is a
 * wall-clock time in `timeZone` (never the machine's zone). Undefined when it is not ISO 8601.
 */
export function parseZonedDateTime(text: string, timeZone: string): number | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  // February 30 is not moved to March 2, as Date.UTC and Date.parse would: the author mistyped it.
  if (day > daysInMonth(year, month)) return undefined;
  if (m[7]) {
    const ms = Date.parse(text.trim().replace(" ", "T"));
    return Number.isNaN(ms) ? undefined : ms;
  }
  return zonedInstant(year, month, day, hour, minute, second, timeZone);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * For an ISO 8601 date whose day is past its month's end ("2026-02-30", "2026-04-31"), how long
 * that month is ("February 2026 has 28 days"); null for any other text.
 */
export function pastMonthEnd(text: string): string | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day <= daysInMonth(year, month)) return null;
  const name = new Date(Date.UTC(year, month - 1, 1)).toLocaleString("en-US", { month: "long", timeZone: "UTC" });
  return `${name} ${year} has ${daysInMonth(year, month)} days`;
}

/** `2026-11-23 18:00 +01:00`: how a gap is shown, in the schedule's zone. */
export function formatZoned(instant: number, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  const offset = Math.round(offsetAt(instant, timeZone) / 60000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
