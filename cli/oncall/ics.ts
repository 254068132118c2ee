import ical, { ICalEventTransparency } from "ical-generator";
import type { OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { personLabel, type OncallDirectory } from "./directory.js";
import { shiftsBetween } from "./resolve.js";

/** One calendar feed to write: its file name (safe: built from kebab-case ids) and RFC 5545 text. */
export interface CalendarFeed {
  file: string;
  /** What the feed is of, for the summary the command prints. */
  of: { kind: "schedule" | "person"; id: string };
  events: number;
  text: string;
}

const LOOK_BACK = 35 * 86_400_000;

interface OnCallShift {
  schedule: OncallScheduleSpec;
  user: string;
  layer: string;
  start: number;
  end: number;
}

/**
 * iCalendar feeds of who is on call in [from, to): one per schedule (every shift on it) and one per
 * person (their shifts on every schedule). Shifts are written in UTC, which every client shows in
 * its own zone, so daylight-saving changes need no VTIMEZONE. `stamp` is the DTSTAMP of every
 * event: the same inputs give byte-identical feeds, so a feed in Git changes only when shifts do.
 */
export function calendarFeeds(schedules: OncallScheduleSpec[], directory: OncallDirectory, from: number, to: number, stamp: number): CalendarFeed[] {
  // Shifts running at `from` keep their real start, so a feed regenerated tomorrow keeps their UIDs.
  const all: OnCallShift[] = schedules.flatMap((schedule) =>
    shiftsBetween(schedule, from - LOOK_BACK, to).filter((s) => s.end > from).map((s) => ({ schedule, user: s.user, layer: schedule.layers[s.layer]?.name ?? `layer ${s.layer + 1}`, start: s.start, end: s.end })),
  );
  const feeds: CalendarFeed[] = [];
  for (const schedule of schedules) {
    const shifts = all.filter((s) => s.schedule.id === schedule.id);
    feeds.push(feed(`schedule-${schedule.id}.ics`, { kind: "schedule", id: schedule.id }, `On call: ${schedule.name}`, shifts, stamp, (s) => `${personLabel(directory, s.user)} on call`));
  }
  const people = [...new Set(all.map((s) => s.user))].sort();
  for (const user of people) {
    const shifts = all.filter((s) => s.user === user);
    feeds.push(feed(`person-${user}.ics`, { kind: "person", id: user }, `On call: ${personLabel(directory, user)}`, shifts, stamp, (s) => `On call: ${s.schedule.name}`));
  }
  return feeds;
}

function feed(file: string, of: CalendarFeed["of"], name: string, shifts: OnCallShift[], stamp: number, summary: (s: OnCallShift) => string): CalendarFeed {
  const calendar = ical({ name, prodId: { company: "watchkeeper", product: "oncall", language: "EN" } });
  for (const s of [...shifts].sort((a, b) => a.start - b.start || a.user.localeCompare(b.user))) {
    calendar.createEvent({
      id: `${s.schedule.id}.${s.user}.${new Date(s.start).toISOString()}@watchkeeper`,
      start: new Date(s.start),
      end: new Date(s.end),
      stamp: new Date(stamp),
      summary: summary(s),
      description: `Schedule ${s.schedule.id} (${s.schedule.timeZone}), layer ${s.layer}.`,
      // Being on call is not a meeting: the time stays free in the person's calendar.
      transparency: ICalEventTransparency.TRANSPARENT,
    });
  }
  return { file, of, events: shifts.length, text: calendar.toString() };
}
