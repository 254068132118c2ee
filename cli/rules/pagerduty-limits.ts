import { parseDuration } from "../../sdk/duration.js";
import { isTimeZone, parseZonedDateTime } from "../../sdk/oncall/zoned-time.js";
import { PAGERDUTY_TIME_ZONES, pagerdutyTimeZone } from "../../infra/program/time-zones.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const WEEK = 7 * DAY;
const FORBIDDEN_NAME_CHARS = /[/\\<>&]/;
/**
 * What the provider counts as not printable in a service or policy name (Go's unicode.IsPrint):
 * anything but letters, marks, numbers, punctuation, symbols and the ASCII space, so a no-break
 * space pasted from a document or a zero-width space is refused.
 */
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
/** PagerDuty's REST API: user and team names, user emails (at least 6), team descriptions. */
const USER_NAME_MAX = 100;
const TEAM_NAME_MAX = 100;
const EMAIL_MIN = 6;
const EMAIL_MAX = 100;
const TEAM_DESCRIPTION_MAX = 1024;
/** An address PagerDuty takes as a login: one @, no spaces, a dot in the domain. */
export const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;
/**
 * Stakeholders: PagerDuty never puts one on call, and refuses one on a team ("Attempting to add a
 * user with the read_only_user role will return a 400 error"), on a schedule layer or as an
 * escalation target.
 */
const STAKEHOLDER_ROLES: ReadonlySet<string> = new Set(["read_only_user"]);
const STAKEHOLDER_HINT = 'give the user a role that can respond (role: "user", "limited_user" or "admin"), or leave them out';

/**
 * Limits PagerDuty's API (and the provider under @pulumi/pagerduty) enforces, caught before `wk
 * deploy` fails halfway through: escalation delays, loops, targets per rule, layer turn lengths,
 * restriction lengths, service and policy names, time zones, user and team names, user emails,
 * stakeholders on teams, schedules and escalation rules, layer times off the whole minute, a
 * created account owner.
 */
export function pagerdutyLimits(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (message: string, hint: string, entry: { source: string }) =>
    out.push(diagnostic("error", "pagerduty-limits", message, hint, ctx.locate(entry)));

  // Only a created user's role is the project's; an existing user's stays what PagerDuty has.
  const stakeholders = new Set(ctx.manifest.users.filter((u) => !u.existing && STAKEHOLDER_ROLES.has(u.role)).map((u) => u.id));
  const stakeholder = (id: string) => `user "${id}" is a stakeholder (role read_only_user), whom PagerDuty`;

  for (const p of ctx.manifest.escalationPolicies) {
    const name = `escalation policy "${p.id}"`;
    const nameProblem = policyNameProblem(p.name);
    if (nameProblem) err(`${name}: name ${JSON.stringify(p.name)} ${nameProblem}, which PagerDuty rejects`, "rename the policy: no / \\ < > &, only visible characters and plain spaces, not blank, no trailing space", p);
    if (!Number.isInteger(p.loops) || p.loops < 0 || p.loops > 9) err(`${name}: loops is ${p.loops}; PagerDuty allows 0 to 9`, "set loops between 0 and 9", p);
    if (p.teams.length > 1) {
      // The API takes a list but refuses more than one; the provider keeps one, so the rest would be dropped unsaid.
      err(`${name} names ${p.teams.length} teams (${p.teams.join(", ")}); PagerDuty associates at most one team with an escalation policy`, "keep one team on the policy (give other teams their own policy, or add them to the schedules)", p);
    }
    if (p.rules.length === 0) err(`${name} has no rules`, "add at least one rule with a delay and targets", p);
    p.rules.forEach((r, i) => {
      const delay = parseDuration(r.escalationDelay) ?? 0;
      if (delay < MINUTE) err(`${name} rule ${i + 1}: escalation delay ${r.escalationDelay} is under PagerDuty's minimum of 1 minute`, 'use a delay of at least "1m"', p);
      else if (delay % MINUTE !== 0) err(`${name} rule ${i + 1}: escalation delay ${r.escalationDelay} is not a whole number of minutes`, "PagerDuty counts escalation delays in minutes", p);
      if (r.targets.length < 1 || r.targets.length > 10) {
        err(`${name} rule ${i + 1} has ${r.targets.length} targets; PagerDuty allows 1 to 10`, "give each rule between 1 and 10 users or schedules", p);
      }
      for (const t of r.targets) {
        if (t.type === "user" && stakeholders.has(t.id)) err(`${name} rule ${i + 1}: ${stakeholder(t.id)} cannot make an escalation target`, STAKEHOLDER_HINT, p);
      }
    });
  }

  for (const s of ctx.manifest.schedules) {
    const zone = zoneProblem(s.timeZone, ctx.now);
    if (zone) err(`schedule "${s.id}": ${zone.message}`, zone.hint, s);
    // An unknown zone is valid-schedules' error; times in it cannot be read.
    const knownZone = isTimeZone(s.timeZone);
    s.layers.forEach((layer, i) => {
      const name = `schedule "${s.id}" layer ${i + 1}`;
      const turn = parseDuration(layer.rotationTurnLength) ?? 0;
      if (turn < HOUR || turn > YEAR) err(`${name}: rotation ${layer.rotationTurnLength} is outside PagerDuty's 1h to 1 year`, 'use a turn length between "1h" and "52w"', s);
      // A hand-off left out is the start: one finding for the one time written.
      const handoff = layer.rotationVirtualStart === layer.start ? null : layer.rotationVirtualStart;
      const times: [string, string | null][] = [["start", layer.start], ["end", layer.end], ["handoff", handoff]];
      for (const [what, text] of times) {
        // The provider and the API refuse seconds in a layer's times ("set the time to a full minute").
        const instant = text === null || !knownZone ? undefined : parseZonedDateTime(text, s.timeZone);
        if (instant !== undefined && instant % MINUTE !== 0) {
          err(`${name}: ${what} ${JSON.stringify(text)} is not on a whole minute, which PagerDuty refuses for a layer`, 'write the time to the minute, such as "2026-01-05T09:00:00+01:00"', s);
        }
      }
      for (const id of new Set(layer.users)) {
        if (stakeholders.has(id)) err(`${name}: ${stakeholder(id)} never puts on call`, STAKEHOLDER_HINT, s);
      }
      for (const r of layer.restrictions) {
        const length = parseDuration(r.duration) ?? 0;
        const kind = r.type === "daily_restriction" ? "daily" : "weekly";
        // The provider takes whole seconds, 1 to one second under a week: a weekly "7d" is refused.
        if (r.type === "daily_restriction" ? length < 1000 || length > DAY : length < 1000 || length >= WEEK) {
          const limit = kind === "daily" ? "at most 1 day" : "shorter than 1 week (a whole week is no restriction: leave it out)";
          err(`${name}: ${kind} restriction lasts ${r.duration}; it must be at least 1s and ${limit}`, kind === "daily" ? "shorten the restriction or use a weekly one" : 'shorten the restriction (at most "167h59m59s") or remove it', s);
        }
      }
    });
  }

  for (const s of ctx.manifest.services) {
    const hidden = notPrintable(s.name);
    if (FORBIDDEN_NAME_CHARS.test(s.name)) {
      err(`service "${s.id}": name "${s.name}" contains one of / \\ < > &, which PagerDuty rejects`, "rename the service without those characters", s);
    } else if (hidden) {
      err(`service "${s.id}": name ${JSON.stringify(s.name)} holds ${hidden}, which PagerDuty rejects as not printable`, "retype the name with plain spaces and visible characters", s);
    } else if (blankOrTrailingSpace(s.name)) {
      err(`service "${s.id}": name ${JSON.stringify(s.name)} is blank or ends in a space, which PagerDuty rejects`, "give the service a name without trailing spaces", s);
    }
    const grouping = s.alertGrouping;
    if (grouping?.timeout != null) {
      const problem = groupingTimeoutProblem(grouping.type, grouping.timeout);
      if (problem) err(`service "${s.id}": alert grouping timeout ${grouping.timeout} ${problem.message}`, problem.hint, s);
    }
  }

  for (const u of ctx.manifest.users) {
    const name = `user "${u.id}"`;
    if (!EMAIL.test(u.email) || u.email.length < EMAIL_MIN || u.email.length > EMAIL_MAX) {
      err(`${name}: email ${JSON.stringify(u.email)} is not an address PagerDuty accepts (${EMAIL_MIN} to ${EMAIL_MAX} characters, name@domain.tld)`, "use the address the person logs in to PagerDuty with, like name@example.com", u);
    }
    // An existing user is only looked up by email: its name and zone stay as they are in PagerDuty.
    if (u.existing) continue;
    if (u.role === "owner") {
      // The account has one owner, made with the account; the API neither creates nor changes one.
      err(`${name}: role owner cannot be set through PagerDuty's API, so \`wk deploy\` would fail`, 'the account owner already exists: declare them with existing: true (only looked up), or give a created user role "admin"', u);
    }
    if (u.name.trim() === "" || u.name.length > USER_NAME_MAX) err(`${name}: name is ${u.name.length} characters; PagerDuty allows 1 to ${USER_NAME_MAX}`, `shorten the name to at most ${USER_NAME_MAX} characters`, u);
    const zone = u.timeZone === null ? null : zoneProblem(u.timeZone, ctx.now);
    if (zone) err(`${name}: ${zone.message}`, zone.hint, u);
  }

  for (const t of ctx.manifest.teams) {
    const name = `team "${t.id}"`;
    if (t.name.trim() === "" || t.name.length > TEAM_NAME_MAX) err(`${name}: name is ${t.name.length} characters; PagerDuty allows 1 to ${TEAM_NAME_MAX}`, `shorten the name to at most ${TEAM_NAME_MAX} characters`, t);
    if (t.description !== null && t.description.length > TEAM_DESCRIPTION_MAX) {
      err(`${name}: description is ${t.description.length} characters; PagerDuty allows at most ${TEAM_DESCRIPTION_MAX}`, "shorten the description, or link to a page that has the rest", t);
    }
    for (const member of t.members) {
      if (stakeholders.has(member.user)) err(`${name}: ${stakeholder(member.user)} refuses as a team member, whatever the team role`, STAKEHOLDER_HINT, t);
    }
  }
  out.push(...sameNames(ctx));
  return out;
}

/**
 * PagerDuty keeps one service, one escalation policy and one team of each name in an account
 * ("Name has already been taken"), and one user of each email, without regard to case: the second
 * definition would fail `wk deploy` after the first was made. Reported at the second, naming the first.
 */
function sameNames(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (noun: string, field: "name" | "email", list: readonly { id: string; source: string; name: string; email?: string }[]) => {
    const first = new Map<string, string>();
    for (const entry of list) {
      const value = field === "email" ? entry.email ?? "" : entry.name;
      const key = value.trim().toLowerCase();
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, entry.id);
        continue;
      }
      out.push(
        diagnostic(
          "error",
          "pagerduty-limits",
          `${noun} "${entry.id}": ${field} ${JSON.stringify(value)} is also the ${field} of ${noun} "${earlier}"; PagerDuty keeps one ${noun} per ${field} (in any case), so \`wk deploy\` would fail`,
          field === "email" ? "one person is one user: define the user once and use it in both places" : `give the ${noun} a ${field} of its own`,
          ctx.locate(entry),
        ),
      );
    }
  };
  check("service", "name", ctx.manifest.services);
  check("escalation policy", "name", ctx.manifest.escalationPolicies);
  check("team", "name", ctx.manifest.teams);
  check("user", "email", ctx.manifest.users);
  return out;
}

/**
 * PagerDuty counts a time grouping's timeout in whole minutes, 1 to 1,440, with 0 meaning "until
 * the incident resolves": a "20s" rounded to 0 would group forever. Other grouping types take no
 * timeout, and the program does not send one.
 */
function groupingTimeoutProblem(type: string, timeout: string): { message: string; hint: string } | null {
  if (type !== "time") return { message: `is ignored: only "time" grouping takes a timeout`, hint: 'remove the timeout, or use type "time"' };
  const length = parseDuration(timeout) ?? 0;
  if (length < MINUTE || length > DAY) {
    return { message: "is outside PagerDuty's 1 minute to 24 hours", hint: 'use a timeout from "1m" to "24h", or leave it out to group until the incident resolves' };
  }
  if (length % MINUTE !== 0) return { message: "is not a whole number of minutes", hint: "PagerDuty counts grouping timeouts in minutes" };
  return null;
}

/** Why PagerDuty refuses an escalation policy's name, or null: the provider's "no special characters" check. */
function policyNameProblem(name: string): string | null {
  if (FORBIDDEN_NAME_CHARS.test(name)) return "contains one of / \\ < > &";
  const hidden = notPrintable(name);
  if (hidden) return `holds ${hidden} (not printable)`;
  if (blankOrTrailingSpace(name)) return "is blank or ends in a space";
  return null;
}

/** The first character of a name the provider would not print, as "U+00A0", or null. */
function notPrintable(name: string): string | null {
  const found = NOT_PRINTABLE.exec(name);
  return found ? `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : null;
}

function blankOrTrailingSpace(name: string): boolean {
  return name.trim() === "" || /\s$/.test(name);
}

/**
 * A valid IANA zone PagerDuty has no name for (its list is about 140 zones, not the whole tz
 * database), with the zones on its list that keep the same clock this year as a suggestion. An
 * unknown IANA name is left to valid-schedules, which reports it once.
 */
function zoneProblem(zone: string, now: Date): { message: string; hint: string } | null {
  if (pagerdutyTimeZone(zone) !== undefined || !isTimeZone(zone)) return null;
  const same = [...PAGERDUTY_TIME_ZONES].filter((candidate) => sameClock(zone, candidate, now)).slice(0, 3);
  return {
    message: `time zone "${zone}" is not one PagerDuty accepts (its list is shorter than the IANA database), so \`wk deploy\` would fail`,
    hint: same.length > 0
      ? `use a zone on PagerDuty's list with the same clock: ${same.map((z) => `"${z}"`).join(", ")}`
      : "pick a zone from https://developer.pagerduty.com/docs/1afe25e9c94cb-types#time-zone",
  };
}

/** Whether two zones show the same UTC offset in January and in July of the year of `now`. */
function sameClock(a: string, b: string, now: Date): boolean {
  const year = now.getUTCFullYear();
  return [Date.UTC(year, 0, 15), Date.UTC(year, 6, 15)].every((instant) => offsetName(a, instant) === offsetName(b, instant));
}

function offsetName(zone: string, instant: number): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(instant);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "";
}
