import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { isTimeZone, offsetAt } from "../../sdk/oncall/zoned-time.js";
import type { RuleContext } from "./types.js";
import { nearIds } from "../near-ids.js";

/** The zone people usually mean by an abbreviation ICU also accepts. */
const MEANT: Record<string, string> = {
  EST: "America/New_York", EDT: "America/New_York", CST: "America/Chicago", CDT: "America/Chicago",
  MST: "America/Denver", MDT: "America/Denver", PST: "America/Los_Angeles", PDT: "America/Los_Angeles",
  HST: "Pacific/Honolulu", AKST: "America/Anchorage", CET: "Europe/Berlin", CEST: "Europe/Berlin",
  MET: "Europe/Berlin", EET: "Europe/Athens", WET: "Europe/Lisbon", BST: "Europe/London",
  IST: "Asia/Kolkata", JST: "Asia/Tokyo", KST: "Asia/Seoul", AEST: "Australia/Sydney", NZST: "Pacific/Auckland",
};

let canonical: Map<string, string> | undefined;

/** Canonical IANA names by their lower case (Intl's list; empty where Intl has none). */
function canonicalNames(): Map<string, string> {
  canonical ??= new Map((typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []).map((z) => [z.toLowerCase(), z]));
  return canonical;
}

/**
 * What is wrong with a zone name ICU accepts but a person would not mean: an abbreviation (`EST`
 * is UTC-05:00 all year, so a 09:00 cron runs at 10:00 New York time all summer) or a name in the
 * wrong case (`europe/berlin`, which PagerDuty refuses). Null for a canonical name, an alias with a
 * slash (`US/Pacific`), `UTC`/`GMT`/`Etc/...`, and a zone ICU does not know (valid-schedules' error).
 */
export function zoneNameProblem(zone: string, now: Date): { message: string; hint: string } | null {
  const names = canonicalNames();
  if (names.size === 0 || names.has(zone.toLowerCase()) && names.get(zone.toLowerCase()) === zone) return null;
  if (/^(UTC|GMT|Etc\/.+)$/.test(zone) || !isTimeZone(zone)) return null;
  // Intl's list leaves out UTC and GMT themselves.
  const proper = names.get(zone.toLowerCase()) ?? ["UTC", "GMT"].find((z) => z === zone.toUpperCase());
  if (proper !== undefined) return { message: `time zone "${zone}" is not written as the IANA database writes it`, hint: `write "${proper}"` };
  if (zone.includes("/")) return null;
  const year = now.getUTCFullYear();
  const january = offsetAt(Date.UTC(year, 0, 15), zone);
  const july = offsetAt(Date.UTC(year, 6, 15), zone);
  const reads = january === july ? `a fixed offset (UTC${hours(january)}) all year, with no daylight saving time` : "the clock of a region ICU picks for it";
  const meant = MEANT[zone.toUpperCase()];
  return {
    message: `time zone "${zone}" is an abbreviation, which the runtime reads as ${reads}`,
    hint: `use the region's IANA name${meant ? `, such as "${meant}"` : ' ("Area/City", such as "America/New_York")'}, which follows its daylight saving time`,
  };
}

/**
 * The hint for a zone ICU does not know: the IANA names nearest to it ("Europe/Berln" is
 * "Europe/Berlin"), compared without case, or an example when nothing is near.
 */
export function unknownZoneHint(zone: string): string {
  const names = canonicalNames();
  const near = nearIds(zone.toLowerCase(), [...names.keys()]).map((lower) => names.get(lower)!);
  if (near.length > 0) return `did you mean "${near[0]}"? Time zones are IANA names`;
  return 'use an IANA time zone name such as "Europe/Berlin" or "America/New_York"';
}

function hours(offsetMs: number): string {
  const minutes = Math.round(offsetMs / 60_000);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Every time zone the project names (monitor crons, schedules, users) is one a person would mean. */
export function timeZoneNames(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (zone: string | null, what: string, at: { source: string }) => {
    if (zone === null) return;
    const problem = zoneNameProblem(zone, ctx.now);
    if (problem) out.push(diagnostic("warning", "time-zone-names", `${what}: ${problem.message}`, problem.hint, ctx.locate(at)));
  };
  for (const m of ctx.manifest.monitors) if (m.schedule.kind === "cron") check(m.schedule.timezone, `monitor "${m.id}"`, m);
  for (const s of ctx.manifest.schedules) check(s.timeZone, `schedule "${s.id}"`, s);
  for (const u of ctx.manifest.users) check(u.timeZone, `user "${u.id}"`, u);
  return out;
}
