import { describe, expect, it } from "vitest";
import type { OncallScheduleSpec, ScheduleLayerSpec } from "../../../sdk/manifest/schema.js";
import { coverageGaps, formatZoned, parseZonedDateTime, renderSchedule } from "./index.js";

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

function layer(props: Partial<ScheduleLayerSpec> & Pick<ScheduleLayerSpec, "users">): ScheduleLayerSpec {
  return {
    name: "layer",
    start: "2026-01-05T00:00:00Z",
    end: null,
    rotationTurnLength: "1d",
    rotationVirtualStart: props.start ?? "2026-01-05T00:00:00Z",
    restrictions: [],
    ...props,
  };
}

function schedule(timeZone: string, layers: ScheduleLayerSpec[]): OncallScheduleSpec {
  return { id: "s", name: "s", description: null, timeZone, layers, teams: [], source: "x.ts:1" };
}

function whoAt(s: OncallScheduleSpec, iso: string): string | undefined {
  const t = at(iso);
  return renderSchedule(s, t - 7 * 24 * H, t + 7 * 24 * H).find((x) => x.start <= t && t < x.end)?.user;
}

describe("renderSchedule", () => {
  it("rotates users in turns counted from the hand-off", () => {
    const s = schedule("UTC", [layer({ users: ["a", "b", "c"], rotationVirtualStart: "2026-01-05T09:00:00Z" })]);
    expect(whoAt(s, "2026-01-05T10:00:00Z")).toBe("a");
    expect(whoAt(s, "2026-01-06T08:59:00Z")).toBe("a");
    expect(whoAt(s, "2026-01-06T09:00:00Z")).toBe("b");
    expect(whoAt(s, "2026-01-07T12:00:00Z")).toBe("c");
    expect(whoAt(s, "2026-01-08T12:00:00Z")).toBe("a");
  });

  it("lets a later layer override an earlier one only while the later layer is on", () => {
    const base = layer({ users: ["a"], rotationTurnLength: "1w" });
    const weekend = layer({ users: ["w"], restrictions: [{ type: "weekly_restriction", startTimeOfDay: "10:00:00", duration: "8h", startDayOfWeek: 6 }] });
    const s = schedule("UTC", [base, weekend]);
    expect(whoAt(s, "2026-01-10T09:59:00Z")).toBe("a"); // Saturday before the restriction
    expect(whoAt(s, "2026-01-10T12:00:00Z")).toBe("w");
    expect(whoAt(s, "2026-01-10T18:00:00Z")).toBe("a");
  });

  it("applies daily restrictions in the schedule's time zone across a DST change", () => {
    const s = schedule("Europe/Berlin", [layer({ users: ["a"], restrictions: [{ type: "daily_restriction", startTimeOfDay: "09:00:00", duration: "8h", startDayOfWeek: null }] })]);
    const shifts = renderSchedule(s, at("2026-03-27T00:00:00Z"), at("2026-03-31T00:00:00Z"));
    // Berlin is UTC+1 before 29 March and UTC+2 after: 09:00 local moves from 08:00Z to 07:00Z.
    expect(shifts.map((x) => new Date(x.start).toISOString())).toEqual([
      "2026-03-27T08:00:00.000Z",
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
    expect(shifts.every((x) => x.end - x.start === 8 * H)).toBe(true);
  });
});

describe("coverageGaps", () => {
  it("finds nights and the end of a layer that stops", () => {
    const s = schedule("UTC", [
      layer({ users: ["a"], end: "2026-01-08T00:00:00Z", restrictions: [{ type: "daily_restriction", startTimeOfDay: "00:00:00", duration: "20h", startDayOfWeek: null }] }),
    ]);
    const gaps = coverageGaps([s], at("2026-01-05T00:00:00Z"), at("2026-01-10T00:00:00Z"));
    expect(gaps.map((g) => [new Date(g.start).toISOString(), new Date(g.end).toISOString()])).toEqual([
      ["2026-01-05T20:00:00.000Z", "2026-01-06T00:00:00.000Z"],
      ["2026-01-06T20:00:00.000Z", "2026-01-07T00:00:00.000Z"],
      ["2026-01-07T20:00:00.000Z", "2026-01-10T00:00:00.000Z"],
    ]);
  });

  it("counts a moment as covered when any of the schedules has someone", () => {
    const day = schedule("UTC", [layer({ users: ["a"], restrictions: [{ type: "daily_restriction", startTimeOfDay: "08:00:00", duration: "12h", startDayOfWeek: null }] })]);
    const night = schedule("UTC", [layer({ users: ["b"], restrictions: [{ type: "daily_restriction", startTimeOfDay: "20:00:00", duration: "12h", startDayOfWeek: null }] })]);
    expect(coverageGaps([day, night], at("2026-01-05T00:00:00Z"), at("2026-02-05T00:00:00Z"))).toEqual([]);
    expect(coverageGaps([day], at("2026-01-05T00:00:00Z"), at("2026-01-06T00:00:00Z"))).toHaveLength(2);
  });
});

describe("zoned time", () => {
  it("reads a date-time without an offset in the schedule's zone, and shows instants there", () => {
    expect(parseZonedDateTime("2026-01-05T09:00:00", "Europe/Berlin")).toBe(at("2026-01-05T08:00:00Z"));
    expect(parseZonedDateTime("2026-07-05T09:00", "Europe/Berlin")).toBe(at("2026-07-05T07:00:00Z"));
    expect(parseZonedDateTime("2026-01-05T09:00:00-05:00", "Europe/Berlin")).toBe(at("2026-01-05T14:00:00Z"));
    expect(parseZonedDateTime("monday", "UTC")).toBeUndefined();
    expect(formatZoned(at("2026-07-05T07:00:00Z"), "Europe/Berlin")).toBe("2026-07-05 09:00 +02:00");
    expect(formatZoned(at("2026-01-05T14:00:00Z"), "America/New_York")).toBe("2026-01-05 09:00 -05:00");
  });
});

describe("restrictions across a spring-forward day", () => {
  // Walking the days in steps of 24 hours from 23:30 skipped 29 March (23 hours long in Berlin):
  // its restriction was lost, and coverage reported a gap that depended on the time of the compile.
  it("finds no gap in a restriction that covers every day, whenever the look starts", () => {
    const s = schedule("Europe/Berlin", [
      layer({ users: ["a"], start: "2026-01-05T09:00:00", rotationTurnLength: "1w", restrictions: [{ type: "daily_restriction", startTimeOfDay: "09:00:00", duration: "24h", startDayOfWeek: null }] }),
    ]);
    for (const from of ["2026-03-20T23:30:00+01:00", "2026-03-20T23:00:00+01:00", "2026-03-20T12:00:00+01:00", "2026-03-27T00:30:00+01:00"]) {
      expect(coverageGaps([s], at(from), at(from) + 14 * 24 * H), from).toEqual([]);
    }
    expect(whoAt(s, "2026-03-29T23:30:00+02:00")).toBe("a");
  });
});
