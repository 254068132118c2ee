import { Cron } from "croner";
import { normalizeCron } from "../../sdk/cron.js";

/**
 * The sdk's normalisation (Quartz `?` becomes `*`, nicknames pass), with the field count checked.
 * Day-of-week numbers keep the cron convention (0 or 7 = Sunday); names (MON-FRI) are safe either way.
 */
export function normaliseCron(expression: string): string {
  const normalized = normalizeCron(expression);
  if (normalized.startsWith("@")) return normalized;
  const fields = normalized.split(" ");
  if (fields.length < 5 || fields.length > 6) {
    throw new Error(`cron expression ${JSON.stringify(expression)} must have 5 fields, or 6 with seconds first`);
  }
  return normalized;
}

/** The nicknames croner accepts, as the fields they stand for (minute hour day month weekday). */
const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * Whether a normalised expression is a wildcard job in Debian cron's sense: its minute or its hour
 * field starts with `*` ("every 5 minutes", "hourly"), or (beyond Debian) steps (`0/20`, Quartz's
 * spelling of an interval). Such a job keeps running through the hour a daylight-saving change
 * repeats; a fixed-time job (`30 1 * * *`, `0 1-3 * * *`) runs once in it.
 */
export function isWildcardCron(normalized: string): boolean {
  const fields = (NICKNAMES[normalized.toLowerCase()] ?? normalized).split(" ");
  const [minute, hour] = fields.length === 6 ? fields.slice(1) : fields;
  return [minute!, hour!].some((field) => field.startsWith("*") || field.includes("/"));
}

/** A day: no zone changes its offset twice within it, so a span this short with one offset at both ends has it throughout. */
const DAY_MS = 24 * 3_600_000;
/** Offset changes crossed looking for one run before the zone's own answer is taken (two a year in a zone with daylight saving). */
const MAX_CHANGES = 64;

/**
 * A cron schedule in an IANA time zone that answers "when next after t" without timers of its own.
 *
 * croner answers in the zone, and across the day clocks go back it skips the repeated hour: an
 * "every 5 minutes" monitor in Europe/Berlin went unchecked for an hour every October (and a
 * 6-field "every 10 seconds" too). A wildcard job therefore runs on the wall clock as it is read:
 * every instant whose local time matches runs, in both passes of a repeated hour, computed with
 * croner at the fixed UTC offset in force, one stretch of constant offset after another. Fixed-time
 * jobs keep croner's zone rules: a repeated time runs once, a skipped one runs an hour later.
 */
export class CronSchedule {
  private readonly zoned: Cron;
  private readonly pattern: string;
  /** null: the zone is UTC, or the job is a fixed-time job. */
  private readonly zone: ZoneOffsets | null;
  private readonly atOffset = new Map<number, Cron>();

  constructor(expression: string, timezone: string) {
    this.pattern = normaliseCron(expression);
    // paused and without a function: croner only computes times, our scheduler owns the timers.
    this.zoned = new Cron(this.pattern, { timezone, paused: true });
    this.zone = isWildcardCron(this.pattern) && !UTC_ZONES.has(timezone) ? zoneOffsets(timezone) : null;
  }

  /** The first run strictly after `t` (ms), or null when the expression never matches again. */
  nextAfter(t: number): number | null {
    if (this.zone) {
      const next = this.wallClockNextAfter(this.zone, t);
      if (next !== undefined) return next;
    }
    const next = this.zoned.nextRun(new Date(t));
    return next ? next.getTime() : null;
  }

  /** undefined: no run found within MAX_CHANGES offset changes (the zone's own answer is taken). */
  private wallClockNextAfter(zone: ZoneOffsets, t: number): number | null | undefined {
    let from = t;
    for (let changes = 0; changes < MAX_CHANGES; changes++) {
      const offset = zone.offsetAt(from + 1);
      const candidate = this.cronAtOffset(offset).nextRun(new Date(from));
      if (!candidate) return null;
      const at = candidate.getTime();
      const change = zone.firstChange(from + 1, at, offset);
      if (change === null) return at;
      // The offset changes before the candidate: nothing matched before the change at the old offset.
      from = change - 1;
    }
    return undefined;
  }

  private cronAtOffset(minutes: number): Cron {
    let cron = this.atOffset.get(minutes);
    if (!cron) {
      cron = new Cron(this.pattern, { utcOffset: minutes, paused: true });
      this.atOffset.set(minutes, cron);
    }
    return cron;
  }
}

const UTC_ZONES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"]);

interface ZoneOffsets {
  /** The zone's UTC offset in minutes at instant `t` (east positive). */
  offsetAt(t: number): number;
  /** The first instant in (start, end] whose offset is not `offset` (the offset at `start`), or null when it holds throughout. */
  firstChange(start: number, end: number, offset: number): number | null;
}

const zones = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  const known = zones.get(timeZone);
  if (known) return known;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const offsetAt = (t: number): number => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(t)) if (part.type !== "literal") parts[part.type] = Number(part.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    return Math.round((wall - Math.floor(t / 1000) * 1000) / 60_000);
  };
  const firstChange = (start: number, end: number, offset: number): number | null => {
    // A day at a time to the first day that ends at another offset, then halving within it.
    let low = start;
    let high: number;
    for (let probe = start + DAY_MS; ; probe += DAY_MS) {
      const at = Math.min(probe, end);
      if (offsetAt(at) !== offset) {
        high = at;
        break;
      }
      if (at === end) return null;
      low = at;
    }
    // offsetAt(low) === offset, offsetAt(high) !== offset.
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2);
      if (offsetAt(mid) === offset) low = mid;
      else high = mid;
    }
    return high;
  };
  const offsets = { offsetAt, firstChange };
  zones.set(timeZone, offsets);
  return offsets;
}
