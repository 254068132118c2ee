import { describe, expect, it } from "vitest";
import { layerSpec, manifestOf, policySpec, scheduleSpec, serviceSpec, userSpec } from "../../test/support/oncall-manifest.js";
import { activeRuleAt, escalate } from "./escalation.js";
import { oncallDirectory } from "./directory.js";
import { onCallAt } from "./resolve.js";
import { parseInstant } from "./time.js";
import { formatInstant } from "./time.js";

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | null | undefined) => (t == null ? t : new Date(t).toISOString());

// A daily rotation handing off at 09:00 Berlin time, counted from Monday 2 March 2026:
// turn k runs from 2 March + k days 09:00 to the next day 09:00, Berlin wall clock;
// even turns are Priya's, odd turns Marco's.
const primary = scheduleSpec("primary", "Europe/Berlin", [layerSpec({ name: "Daily", start: "2026-03-02T09:00:00", users: ["priya", "marco"] })]);
// Weekdays 09:00-17:00 only.
const office = scheduleSpec("office", "Europe/Berlin", [
  layerSpec({
    name: "Office hours",
    start: "2026-03-02T09:00:00",
    rotationTurnLength: "1w",
    users: ["ana"],
    restrictions: [1, 2, 3, 4, 5].map((day) => ({ type: "weekly_restriction" as const, startTimeOfDay: "09:00:00", duration: "8h", startDayOfWeek: day })),
  }),
]);
const manifest = manifestOf({
  users: [userSpec("priya", "Priya Raman"), userSpec("marco", "Marco Rossi"), userSpec("helena", "Helena Fischer"), userSpec("ana", "Ana Lima")],
  schedules: [primary, office],
  escalationPolicies: [
    policySpec("checkout-ep", 1, [["15m", ["schedule:primary"]], ["10m", ["helena"]]]),
    policySpec("office-ep", 0, [["30m", ["schedule:office"]]]),
    policySpec("office-then-helena", 0, [["30m", ["schedule:office"]], ["30m", ["helena"]]]),
  ],
  services: [serviceSpec("checkout", "checkout-ep")],
});
const directory = oncallDirectory(manifest);
const policy = (id: string) => directory.policies.get(id)!;

describe("who is on call", () => {
  it("hands a daily rotation off at 09:00 in the schedule's zone", () => {
    // 10 March 08:59 Berlin (07:59Z) is still turn 7 (Marco); 09:00 (08:00Z) starts turn 8 (Priya).
    expect(onCallAt(primary, at("2026-03-10T07:59:00Z"))?.user).toBe("marco");
    expect(onCallAt(primary, at("2026-03-10T08:00:00Z"))).toMatchObject({ user: "priya", layerName: "Daily", since: at("2026-03-10T08:00:00Z"), until: at("2026-03-11T08:00:00Z") });
  });

  it("keeps the 09:00 hand-off when Berlin springs forward on the last Sunday of March (a 23-hour turn)", () => {
    // Turn 26 runs Sat 28 March 09:00 +01:00 (08:00Z) to Sun 29 March 09:00 +02:00 (07:00Z): Priya.
    const priya = onCallAt(primary, at("2026-03-29T06:59:00Z"))!;
    expect([priya.user, iso(priya.since), iso(priya.until)]).toEqual(["priya", "2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"]);
    // 07:30Z is 09:30 summer time: Marco's turn 27 has begun (a fixed 24 h turn would still say Priya).
    expect(onCallAt(primary, at("2026-03-29T07:30:00Z"))?.user).toBe("marco");
  });

  it("keeps the 09:00 hand-off when Berlin falls back on the last Sunday of October (a 25-hour turn)", () => {
    // 2 March + 236 days = 24 October: turn 236 (even, Priya) runs 24 Oct 09:00 +02:00 (07:00Z)
    // to 25 Oct 09:00 +01:00 (08:00Z).
    const shift = onCallAt(primary, at("2026-10-24T07:30:00Z"))!;
    expect([shift.user, iso(shift.since), iso(shift.until)]).toEqual(["priya", "2026-10-24T07:00:00.000Z", "2026-10-25T08:00:00.000Z"]);
    expect(formatInstant(shift.until, "Europe/Berlin")).toBe("2026-10-25 09:00 +01:00");
    expect(onCallAt(primary, at("2026-10-25T08:00:00Z"))?.user).toBe("marco");
  });

  it("says nobody outside a layer's restrictions", () => {
    expect(onCallAt(office, at("2026-03-14T11:00:00Z"))).toBeNull(); // Saturday
    expect(onCallAt(office, at("2026-03-13T15:59:00Z"))?.user).toBe("ana"); // Friday 16:59 Berlin
    expect(onCallAt(office, at("2026-03-13T16:00:00Z"))).toBeNull(); // Friday 17:00 Berlin
  });
});

describe("escalation", () => {
  it("re-resolves the schedule on each pass, so a hand-off during the incident pages the next person", () => {
    // Opened 10 March 08:38 Berlin (07:38Z): Marco (turn 7) first, Helena at 08:53, then the
    // loop comes back to the schedule at 09:03, after the 09:00 hand-off: Priya.
    const run = escalate(policy("checkout-ep"), directory, at("2026-03-10T07:38:00Z"));
    expect(run.steps.map((s) => [s.pass, s.rule, iso(s.at), s.people.join(","), iso(s.escalatesAt)])).toEqual([
      [0, 0, "2026-03-10T07:38:00.000Z", "marco", "2026-03-10T07:53:00.000Z"],
      [0, 1, "2026-03-10T07:53:00.000Z", "helena", "2026-03-10T08:03:00.000Z"],
      [1, 0, "2026-03-10T08:03:00.000Z", "priya", "2026-03-10T08:18:00.000Z"],
      [1, 1, "2026-03-10T08:18:00.000Z", "helena", null],
    ]);
    expect(iso(run.exhaustedAt)).toBe("2026-03-10T08:28:00.000Z");
    expect(run.nobodyReached).toBe(false);
  });

  it("stops at an acknowledgement: no step starts at or after it", () => {
    const run = escalate(policy("checkout-ep"), directory, at("2026-03-10T07:38:00Z"), { until: at("2026-03-10T08:08:00Z") });
    expect(run.steps.map((s) => s.people[0])).toEqual(["marco", "helena", "priya"]);
    expect(run.exhaustedAt).toBeNull();
  });

  it("answers which rule is active at minute M", () => {
    const start = at("2026-03-10T07:38:00Z");
    const rule = (minute: number) => {
      const s = activeRuleAt(policy("checkout-ep"), directory, start, minute)!;
      return `pass ${s.pass + 1} rule ${s.rule + 1}: ${s.people.join(",")}`;
    };
    expect(rule(0)).toBe("pass 1 rule 1: marco");
    expect(rule(14)).toBe("pass 1 rule 1: marco");
    expect(rule(15)).toBe("pass 1 rule 2: helena");
    expect(rule(25)).toBe("pass 2 rule 1: priya");
    expect(rule(40)).toBe("pass 2 rule 2: helena");
    expect(rule(500)).toBe("pass 2 rule 2: helena"); // the last rule keeps the incident
  });

  it("skips a rule with nobody on call at once, and reports when no rule reaches anyone", () => {
    const saturday = at("2026-03-14T11:00:00Z");
    const skip = escalate(policy("office-then-helena"), directory, saturday);
    expect(skip.steps.map((s) => [s.rule, iso(s.at), s.people.join(",")])).toEqual([
      [0, "2026-03-14T11:00:00.000Z", ""],
      [1, "2026-03-14T11:00:00.000Z", "helena"],
    ]);
    const nobody = escalate(policy("office-ep"), directory, saturday);
    expect(nobody.nobodyReached).toBe(true);
    expect(nobody.steps).toHaveLength(1);
  });

  it("does not escalate a low-urgency incident", () => {
    const run = escalate(policy("checkout-ep"), directory, at("2026-03-10T07:38:00Z"), { escalates: false });
    expect(run.steps.map((s) => [s.people.join(","), s.escalatesAt])).toEqual([["marco", null]]);
  });
});

describe("--at", () => {
  const now = at("2026-06-01T12:00:00Z");
  it("reads now, offsets, and wall-clock times with an IANA zone", () => {
    expect(parseInstant("now", now)).toEqual({ at: now, zone: null });
    expect(parseInstant("2026-03-28T03:12:00Z", now)).toEqual({ at: at("2026-03-28T03:12:00Z"), zone: null });
    expect(parseInstant("2026-03-28T03:12+01:00", now)).toEqual({ at: at("2026-03-28T02:12:00Z"), zone: null });
    expect(parseInstant("2026-03-28T03:12 Europe/Berlin", now)).toEqual({ at: at("2026-03-28T02:12:00Z"), zone: "Europe/Berlin" });
    expect(parseInstant("2026-07-01 09:00 Europe/Berlin", now)).toEqual({ at: at("2026-07-01T07:00:00Z"), zone: "Europe/Berlin" });
  });

  it("refuses what is not a time, an impossible date, an unknown zone and a wall clock without one", () => {
    expect(parseInstant("tomorrow", now)).toMatchObject({ error: '--at "tomorrow" is not a time' });
    expect(parseInstant("2026-02-30T10:00Z", now)).toMatchObject({ error: expect.stringContaining("is not a time") });
    expect(parseInstant("2026-03-28T03:12 Mars/Olympus", now)).toMatchObject({ error: expect.stringContaining('unknown time zone "Mars/Olympus"') });
    expect(parseInstant("2026-03-28T03:12", now)).toMatchObject({ error: expect.stringContaining("needs an offset or a time zone") });
  });

  // JavaScript reads years 0 to 99 as 1900 to 1999: year 50 was shown as 1950 with an offset of
  // +16655040:00, and year 75 would have been answered as 1975 without a word.
  it("refuses a year before 1970 instead of answering for another one", () => {
    for (const text of ["0050-01-01T00:00Z", "0075-06-01T12:00+02:00", "0001-01-01 00:00 Europe/Berlin", "1969-12-31T23:59Z"]) {
      expect(parseInstant(text, now)).toMatchObject({ error: `--at ${JSON.stringify(text)} is before 1970`, hint: expect.stringContaining("2026-03-28T03:12:00Z") });
    }
    expect(parseInstant("1970-01-01T00:00Z", now)).toEqual({ at: 0, zone: null });
  });
});
