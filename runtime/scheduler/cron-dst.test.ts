import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CronSchedule, isWildcardCron, normaliseCron } from "./cron.js";
import { nextFunction } from "./scheduler.js";

// Cron schedules across daylight-saving changes. The days the clocks change in 2026:
// America/New_York back 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST), forward 2026-03-08 07:00Z;
// Europe/Berlin and Europe/Vienna back 2026-10-25 01:00Z (03:00 CEST -> 02:00 CET), forward 2026-03-29 01:00Z;
// Australia/Lord_Howe back half an hour 2026-04-04 15:00Z (02:00 +11 -> 01:30 +10:30).

const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

function runs(expression: string, timezone: string, from: number, until: number): number[] {
  const cron = new CronSchedule(expression, timezone);
  const out: number[] = [];
  for (let t = cron.nextAfter(from); t !== null && t <= until; t = cron.nextAfter(t)) out.push(t);
  return out;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

const formats = new Map<string, Intl.DateTimeFormat>();
const formatIn = (timeZone: string) => {
  if (!formats.has(timeZone)) formats.set(timeZone, new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" }));
  return formats.get(timeZone)!;
};

/** Whether `value` is in a cron field of the forms the property draws: `*`, `*\/k`, `a/k`, `a-b`, `a`, and lists of them. */
function inField(field: string, value: number, max: number): boolean {
  return field.split(",").some((part) => {
    const [range, step] = part.split("/") as [string, string | undefined];
    const [low, high] = range === "*" ? [0, max] : range.includes("-") ? range.split("-").map(Number) as [number, number] : [Number(range), step ? max : Number(range)];
    return value >= low && value <= high && (value - low) % Number(step ?? 1) === 0;
  });
}

/**
 * The instants in (from, until], on the minute, whose local time in `timezone` a 5-field expression
 * with `*` in its day, month and weekday fields matches: read off the zone's clock by Intl, matched
 * without croner.
 */
function wallClockMatches(expression: string, timezone: string, from: number, until: number): number[] {
  const [minute, hour] = (expression === "@hourly" ? "0 * * * *" : expression).split(" ") as [string, string];
  const format = formatIn(timezone);
  const out: number[] = [];
  for (let t = Math.floor(from / MIN) * MIN + MIN; t <= until; t += MIN) {
    const p = Object.fromEntries(format.formatToParts(t).map((x) => [x.type, Number(x.value)]));
    if (inField(minute, p.minute!, 59) && inField(hour, p.hour!, 23)) out.push(t);
  }
  return out;
}

describe("cron across daylight saving", () => {
  it("tells wildcard jobs from fixed-time jobs as Debian's cron does", () => {
    for (const e of ["*/5 * * * *", "0 * * * *", "15 */2 * * *", "*/20 2 * * *", "*/10 * * * * *", "0 0 * * * *", "@hourly", "0/20 0-4 * * *"]) expect(isWildcardCron(normaliseCron(e)), e).toBe(true);
    for (const e of ["30 1 * * *", "0 9 * * MON-FRI", "0 1-3 * * *", "*/10 30 1 * * *", "@daily", "@weekly"]) expect(isWildcardCron(normaliseCron(e)), e).toBe(false);
  });

  it("keeps checking every 5 minutes through the hour Europe/Berlin repeats in October", () => {
    const from = Date.UTC(2026, 9, 24, 22, 0), until = Date.UTC(2026, 9, 25, 4, 0);
    const times = runs("*/5 * * * *", "Europe/Berlin", from, until);
    expect(Math.max(...gaps(times))).toBe(5 * MIN);
    expect(times).toHaveLength(6 * 12);
    expect(times.map(iso)).toContain("2026-10-25T00:30:00.000Z"); // 02:30 CEST, the first pass
    expect(times.map(iso)).toContain("2026-10-25T01:30:00.000Z"); // 02:30 CET, the second
  });

  it("keeps checking every 30 minutes through the hour America/New_York repeats in November", () => {
    const times = runs("*/30 * * * *", "America/New_York", Date.UTC(2026, 10, 1, 4, 0), Date.UTC(2026, 10, 1, 8, 0));
    expect(times.map(iso)).toEqual(["04:30", "05:00", "05:30", "06:00", "06:30", "07:00", "07:30", "08:00"].map((hm) => `2026-11-01T${hm}:00.000Z`));
  });

  it("keeps a 6-field every-10-seconds job going across the change (croner alone lost an hour)", () => {
    const from = Date.UTC(2026, 9, 25, 0, 59, 30), until = Date.UTC(2026, 9, 25, 1, 1, 0);
    const times = runs("*/10 * * * * *", "Europe/Vienna", from, until);
    expect(times[0]).toBe(Date.UTC(2026, 9, 25, 0, 59, 40));
    expect(Math.max(...gaps(times))).toBe(10_000);
  });

  it("handles a half-hour change (Australia/Lord_Howe)", () => {
    const times = runs("*/10 * * * *", "Australia/Lord_Howe", Date.UTC(2026, 3, 4, 14, 0), Date.UTC(2026, 3, 4, 16, 0));
    expect(Math.max(...gaps(times))).toBe(10 * MIN);
    expect(times).toHaveLength(12);
  });

  it("runs hourly jobs in both passes and none in the hour clocks skip", () => {
    const back = runs("0 * * * *", "America/New_York", Date.UTC(2026, 10, 1, 3, 30), Date.UTC(2026, 10, 1, 8, 30));
    expect(gaps(back).every((g) => g === 60 * MIN)).toBe(true);
    expect(back).toHaveLength(5);
    const forward = runs("*/30 * * * *", "America/New_York", Date.UTC(2026, 2, 8, 5, 45), Date.UTC(2026, 2, 8, 8, 15));
    expect(gaps(forward).every((g) => g === 30 * MIN)).toBe(true);
  });

  it("runs a fixed-time job once on either day, as croner does in the zone", () => {
    const back = runs("30 1 * * *", "America/New_York", Date.UTC(2026, 9, 31, 12, 0), Date.UTC(2026, 10, 1, 12, 0));
    expect(back).toHaveLength(1);
    const forward = runs("30 2 * * *", "Europe/Berlin", Date.UTC(2026, 2, 28, 12, 0), Date.UTC(2026, 2, 29, 12, 0));
    expect(forward.map(iso)).toEqual(["2026-03-29T01:30:00.000Z"]); // 03:30 CEST: 02:30 does not exist that day
  });

  it("keeps the monitor's spread offset across the change", () => {
    const next = nextFunction("m-1", { kind: "cron", expression: "*/5 * * * *", timezone: "Europe/Berlin" }, 60_000);
    const times: number[] = [];
    for (let t = next(Date.UTC(2026, 9, 24, 23, 50))!; t < Date.UTC(2026, 9, 25, 2, 0); t = next(t)!) times.push(t);
    expect(Math.max(...gaps(times))).toBe(5 * MIN);
  });

  it("finds the next run of a rare wildcard job months ahead, across offset changes", () => {
    // Every hour of the 1st of January, asked in March: the search crosses October's change.
    const cron = new CronSchedule("0 * 1 1 *", "Europe/Berlin");
    expect(iso(cron.nextAfter(Date.UTC(2026, 2, 1))!)).toBe("2026-12-31T23:00:00.000Z");
    expect(new CronSchedule("0 * 30 2 *", "Europe/Berlin").nextAfter(Date.UTC(2026, 2, 1))).toBeNull();
  });

  it("runs a wildcard job at exactly the instants whose local time matches (property)", () => {
    const changes: Array<[string, number]> = [
      ["Europe/Berlin", Date.UTC(2026, 9, 25, 1, 0)],
      ["Europe/Berlin", Date.UTC(2026, 2, 29, 1, 0)],
      ["America/New_York", Date.UTC(2026, 10, 1, 6, 0)],
      ["America/New_York", Date.UTC(2026, 2, 8, 7, 0)],
      ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15, 0)],
      ["Asia/Kolkata", Date.UTC(2026, 5, 1, 0, 0)],
      ["Pacific/Chatham", Date.UTC(2026, 3, 4, 14, 0)],
    ];
    const expression = fc.oneof(
      fc.constantFrom(1, 2, 5, 7, 10, 15, 20, 30).map((k) => `*/${k} * * * *`),
      fc.integer({ min: 0, max: 59 }).map((m) => `${m} * * * *`),
      fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 3 })).map(([m, h]) => `${m}/20 ${h}-4 * * *`),
      fc.constantFrom("*/30 1,2 * * *", "0,45 * * * *", "@hourly"),
    );
    fc.assert(
      fc.property(expression, fc.constantFrom(...changes), fc.integer({ min: -150, max: 30 }), (e, [zone, change], startMinutes) => {
        const from = change + startMinutes * MIN - 17_000;
        const until = from + 3 * 60 * MIN;
        expect(runs(e, zone, from, until).map(iso)).toEqual(wallClockMatches(e, zone, from, until).map(iso));
      }),
      { numRuns: Number(process.env.WK_PROPERTY_RUNS ?? 200) },
    );
  });
});
