import { parseDuration } from "../../sdk/duration.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { isTimeZone, parseZonedDateTime, pastMonthEnd } from "../../sdk/oncall/zoned-time.js";
import { cronProblem, firesEverySecond, NEVER_FIRES } from "./cron.js";
import { unknownZoneHint } from "./time-zone-names.js";
import { unlessClean, type RuleContext } from "./types.js";

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
/** A date-time that names its instant: a time of day followed by `Z` or an offset. */
const WITH_OFFSET = /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Cron expressions (5 fields, 6 with seconds, Quartz `?`) parse and fire; intervals and timeouts
 * are positive; time zones are IANA names; schedule and silence dates are ISO 8601 and in order.
 */
export function validSchedules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const now = ctx.now;
  // Many monitors share a schedule; croner's parse and first-run search are worth doing once.
  const cronChecked = new Map<string, string | null>();
  const checkCron = (expression: string, zone: string) => {
    const key = `${zone} ${expression}`;
    if (!cronChecked.has(key)) cronChecked.set(key, ctx.memo?.clean("valid-schedules/cron", key) ? null : cronProblem(expression, zone, now));
    const problem = cronChecked.get(key)!;
    if (problem === null) ctx.memo?.remember("valid-schedules/cron", key);
    return problem;
  };
  // The same 6-field expression recurs across monitors, and each verdict is sixty of croner's
  // searches (and, in a new process, ICU's zone data): judged once per run, and not again while
  // the memo holds it clean.
  const everySecond = new Map<string, boolean>();
  const firesEachSecond = (expression: string) => {
    let verdict = everySecond.get(expression);
    if (verdict === undefined) {
      verdict = ctx.memo?.clean("valid-schedules/seconds", expression) ? false : firesEverySecond(expression);
      everySecond.set(expression, verdict);
      if (!verdict) ctx.memo?.remember("valid-schedules/seconds", expression);
    }
    return verdict;
  };
  // Time zones and cron expressions recur across entries: a new entry with a known zone and
  // expression loads neither ICU's zone data nor croner's search (about 15 ms of a warm compile).
  const zoneKnown = (zone: string) => {
    if (ctx.memo?.clean("valid-schedules/zone", zone)) return true;
    const known = isTimeZone(zone);
    if (known) ctx.memo?.remember("valid-schedules/zone", zone);
    return known;
  };
  // An entry's verdict depends only on the entry (a cron that fires at all keeps firing: there is
  // no year field), so an entry found clean before is not checked again.
  const checked = (entry: object, check: () => Diagnostic[]) => out.push(...unlessClean(ctx, "valid-schedules", ctx.hashes?.entry(entry), check));
  for (const m of ctx.manifest.monitors) {
    checked(m, () => {
      const s = m.schedule;
      const timeouts: [string, string | null][] = [
        ["check timeout", "timeout" in m.check ? m.check.timeout : null],
        ["heartbeat every", m.check.kind === "heartbeat" ? m.check.every : null],
        ["window", m.check.kind === "httpWindow" ? m.check.window : null],
        ["repeatEvery", m.repeatEvery],
      ];
      const found: Diagnostic[] = [];
      const at = ctx.locate(m);
      if (s.kind === "cron") {
        if (!zoneKnown(s.timezone)) {
          found.push(diagnostic("error", "valid-schedules", `monitor "${m.id}": unknown time zone "${s.timezone}"`, unknownZoneHint(s.timezone), at));
          return found;
        }
        const problem = checkCron(s.expression, s.timezone);
        if (problem) {
          found.push(
            diagnostic(
              "error",
              "valid-schedules",
              `monitor "${m.id}": cron "${s.expression}" is not valid: ${problem}`,
              problem === NEVER_FIRES
                ? "its day never comes (no month has a February 30, April 31 or the like): name a day every month it names has, or L for the last day of the month"
                : 'write 5 fields ("*/5 * * * *"), 6 with seconds first ("0 * * * * *"), Quartz style ("0 * * ? * *"), or { every: "30s" }',
              at,
            ),
          );
        } else if (firesEachSecond(s.expression)) {
          found.push(
            diagnostic(
              "error",
              "valid-schedules",
              `monitor "${m.id}": cron "${s.expression}" fires every second (its first field is the seconds, and it matches all 60)`,
              'for once a minute write 5 fields ("* * * * *") or a fixed second ("0 * * * * *"); to really check every second, say so with { every: "1s" }',
              at,
            ),
          );
        }
      } else if (parseDuration(s.every) === undefined) {
        // Not a duration at all: the schema reports it, and "shorter than 1s" would mislead.
      } else if (parseDuration(s.every)! < 1000) {
        found.push(diagnostic("error", "valid-schedules", `monitor "${m.id}": every "${s.every}" is shorter than 1s`, "use an interval of at least 1s", at));
      } else if ("timeout" in m.check && (parseDuration(m.check.timeout) ?? 0) > (parseDuration(s.every) ?? Infinity)) {
        // A tick is skipped while the previous one runs: a hanging target is reported only when its check times out.
        found.push(
          diagnostic(
            "warning",
            "valid-schedules",
            `monitor "${m.id}": check timeout "${m.check.timeout}" is longer than every "${s.every}"; while a check hangs, the ticks in between are skipped, and a target that hangs is reported only after ${m.check.timeout}`,
            `use a timeout shorter than the interval (the default is 10s), or check less often`,
            at,
          ),
        );
      }
      for (const [what, value] of timeouts) {
        if (value !== null && parseDuration(value) === 0) {
          found.push(diagnostic("error", "valid-schedules", `monitor "${m.id}": ${what} "${value}" must be longer than 0`, 'use a positive duration such as "30s"', at));
        }
      }
      return found;
    });
  }
  for (const u of ctx.manifest.users) {
    if (u.timeZone === null) continue;
    const zone = u.timeZone;
    checked(u, () => (zoneKnown(zone) ? [] : [diagnostic("error", "valid-schedules", `user "${u.id}": unknown time zone "${zone}"`, unknownZoneHint(zone), ctx.locate(u))]));
  }
  for (const s of ctx.manifest.schedules) {
    checked(s, () => {
      const found: Diagnostic[] = [];
      const at = ctx.locate(s);
      if (!zoneKnown(s.timeZone)) {
        found.push(diagnostic("error", "valid-schedules", `schedule "${s.id}": unknown time zone "${s.timeZone}"`, unknownZoneHint(s.timeZone), at));
        return found;
      }
      s.layers.forEach((layer, i) => {
        const name = `schedule "${s.id}" layer ${i + 1}`;
        // A layer without a handoff hands off at its start: a bad start is then reported once, as the start.
        const handoff = layer.rotationVirtualStart === layer.start ? null : layer.rotationVirtualStart;
        const dates: [string, string | null][] = [["start", layer.start], ["end", layer.end], ["handoff", handoff]];
        for (const [what, text] of dates) {
          if (text !== null && parseZonedDateTime(text, s.timeZone) === undefined) {
            const past = pastMonthEnd(text);
            found.push(
              past !== null
                ? diagnostic("error", "valid-schedules", `${name}: ${what} "${text}" is not a date: ${past}`, "fix the day (a date past the month's end is not moved into the next month)", at)
                : diagnostic("error", "valid-schedules", `${name}: ${what} "${text}" is not an ISO 8601 date-time`, 'write "2026-01-05T09:00:00" (schedule time zone) or with an offset "2026-01-05T09:00:00+01:00"', at),
            );
          }
        }
        const start = parseZonedDateTime(layer.start, s.timeZone);
        const end = layer.end === null ? undefined : parseZonedDateTime(layer.end, s.timeZone);
        if (start !== undefined && end !== undefined && end <= start) {
          found.push(diagnostic("error", "valid-schedules", `${name}: ends before it starts`, "move the end after the start, or leave it out", at));
        }
        for (const r of layer.restrictions) {
          if (!TIME_OF_DAY.test(r.startTimeOfDay)) {
            found.push(diagnostic("error", "valid-schedules", `${name}: restriction start "${r.startTimeOfDay}" is not a time of day`, 'write "09:00" or "17:30"', at));
          }
        }
      });
      return found;
    });
  }
  for (const s of ctx.manifest.silences) {
    const start = parseZonedDateTime(s.start, "UTC");
    const end = parseZonedDateTime(s.end, "UTC");
    const at = ctx.locate(s);
    if (start === undefined || end === undefined) {
      out.push(diagnostic("error", "valid-schedules", `${s.kind} "${s.id}": start and end must be ISO 8601 date-times`, 'write "2026-12-24T18:00:00Z"', at));
    } else if (!WITH_OFFSET.test(s.start.trim()) || !WITH_OFFSET.test(s.end.trim())) {
      // A silence has no zone of its own: the runtime and `wk simulate` would read a wall-clock time in
      // the machine's zone, and PagerDuty's maintenance windows take only a time with an offset.
      out.push(
        diagnostic(
          "error",
          "valid-schedules",
          `${s.kind} "${s.id}": start "${s.start}" and end "${s.end}" need an offset or Z; without one the window depends on the zone of the machine that reads it`,
          'write "2026-12-24T18:00:00Z" or "2026-12-24T18:00:00+01:00"',
          at,
        ),
      );
    } else if (end <= start) {
      out.push(diagnostic("error", "valid-schedules", `${s.kind} "${s.id}": ends before it starts`, "move the end after the start", at));
    }
    // silenceMatches() passes an alert through every empty matcher: with none at all, every alert
    // of the project would be muted for the window (the runtime's API refuses such a silence too).
    const { monitors, services, labels } = s.matchers;
    if (monitors.length + services.length + Object.keys(labels).length === 0) {
      out.push(
        diagnostic(
          "error",
          "valid-schedules",
          `${s.kind === "maintenance" ? "maintenance window" : "silence"} "${s.id}" names no monitors, services or labels, so it would mute every alert of the project`,
          s.kind === "maintenance" ? "list the services under maintenance: services: [checkoutPayments]" : 'name what it mutes: monitors: [apiLatency], services: [checkoutPayments] or labels: { service: "checkout" }',
          at,
        ),
      );
    }
  }
  return out;
}
