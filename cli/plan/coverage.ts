import type { OncallScheduleSpec, ScheduleLayerSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";

/*
 * On-call coverage for the planner's "coverage got worse" warning. The compiler's coverage rule
 * answers a related question (where are the gaps); this module only needs a comparable number,
 * so it is a small sampling function of its own. Keep the two in agreement on semantics: a layer
 * covers [start, end) inside its restrictions, restrictions are wall-clock times in the schedule's
 * time zone, and a schedule covers a moment when any layer does.
 */

const STEP_MS = 5 * 60_000;
const DAY_S = 86_400;
const WEEK_S = 7 * DAY_S;

/** Hours without anyone on call in `[from, from + weeks)`, sampled every 5 minutes. */
export function uncoveredHours(schedule: OncallScheduleSpec, from: Date, weeks = 4): number {
  const local = localClock(schedule.timeZone);
  const layers = schedule.layers.map(compileLayer);
  const start = Math.floor(from.getTime() / STEP_MS) * STEP_MS;
  const end = start + weeks * WEEK_S * 1000;
  let uncovered = 0;
  for (let t = start; t < end; t += STEP_MS) {
    const wall = local(t);
    if (!layers.some((layer) => layer(t, wall))) uncovered++;
  }
  return (uncovered * STEP_MS) / 3_600_000;
}

/** Wall-clock position of an instant: seconds since local midnight and since local Monday 00:00. */
interface WallClock {
  secondOfDay: number;
  secondOfWeek: number;
}

type LayerTest = (t: number, wall: WallClock) => boolean;

function compileLayer(layer: ScheduleLayerSpec): LayerTest {
  const start = Date.parse(layer.start);
  const end = layer.end === null ? Infinity : Date.parse(layer.end);
  const windows = layer.restrictions.map((r) => {
    const [h, m, s] = r.startTimeOfDay.split(":").map(Number) as [number, number, number];
    const startOfDay = h * 3600 + m * 60 + s;
    const length = durationMs(r.duration) / 1000;
    return r.type === "daily_restriction"
      ? (wall: WallClock) => mod(wall.secondOfDay - startOfDay, DAY_S) < length
      : (wall: WallClock) => mod(wall.secondOfWeek - ((r.startDayOfWeek ?? 1) - 1) * DAY_S - startOfDay, WEEK_S) < length;
  });
  return (t, wall) => t >= start && t < end && (windows.length === 0 || windows.some((inside) => inside(wall)));
}

/** Maps instants to wall-clock positions in a time zone; offsets are cached per quarter hour. */
function localClock(timeZone: string): (t: number) => WallClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    // An unknown zone is the compiler's diagnostic to report; count in UTC rather than fail the plan.
    format = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
  }
  const offsets = new Map<number, number>();
  const offsetAt = (t: number): number => {
    const bucket = Math.floor(t / 900_000);
    let offset = offsets.get(bucket);
    if (offset === undefined) {
      const p = Object.fromEntries(format.formatToParts(new Date(bucket * 900_000)).map((x) => [x.type, Number(x.value)]));
      offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - bucket * 900_000;
      offsets.set(bucket, offset);
    }
    return offset;
  };
  return (t) => {
    const wall = new Date(t + offsetAt(t));
    const secondOfDay = wall.getUTCHours() * 3600 + wall.getUTCMinutes() * 60 + wall.getUTCSeconds();
    const isoDay = wall.getUTCDay() === 0 ? 7 : wall.getUTCDay();
    return { secondOfDay, secondOfWeek: (isoDay - 1) * DAY_S + secondOfDay };
  };
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
