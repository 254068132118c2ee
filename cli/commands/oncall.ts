import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { OncallScheduleSpec, ServiceSpec } from "../../sdk/manifest/schema.js";
import { parseDuration } from "../../sdk/duration.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { nearIds } from "../near-ids.js";
import { oncallDirectory, type OncallDirectory } from "../oncall/directory.js";
import { calendarFeeds, type CalendarFeed } from "../oncall/ics.js";
import { oncallJson, oncallReport, renderOncallMarkdown, renderOncallText } from "../oncall/report.js";
import { parseInstant } from "../oncall/time.js";
import { projectManifest } from "../project-manifest.js";
import { isTimeZone } from "../../sdk/oncall/zoned-time.js";
import { fileRefusal } from "../system-error.js";
import { makeFolders } from "../../sdk/make-folders.js";

interface OncallArgs {
  at?: string;
  schedule?: string;
  service?: string;
  team?: string;
  ics?: string;
  window?: string;
  tz?: string;
  format?: "text" | "markdown" | "json";
  project?: string;
}

/** `wk oncall`: who is on call at an instant, per schedule, service or team; `--ics` writes feeds. */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as OncallArgs;
  const filters = (["schedule", "service", "team"] as const).filter((f) => args[f] !== undefined);
  if (filters.length > 1) throw new UserError(`--${filters.join(" and --")} cannot be used together`, EXIT.usage, "choose one of --schedule, --service or --team (or none for every schedule)");
  const now = Date.now();
  const at = parseInstant(String(args.at ?? "now"), now);
  if ("error" in at) throw new UserError(at.error, EXIT.usage, at.hint);
  const windowMs = parseDuration(String(args.window ?? "30d"));
  if (windowMs === undefined || windowMs <= 0) throw new UserError(`--window ${JSON.stringify(args.window)} is not a duration longer than zero`, EXIT.usage, "write it like 30d, 2w or 12h");
  if (windowMs > 366 * 86_400_000) throw new UserError(`--window ${args.window} is longer than a year`, EXIT.usage, "feeds are meant to be refreshed; 30d to 90d is usual");
  const zone = args.tz ?? at.zone;
  if (zone !== null && !isTimeZone(zone)) throw new UserError(`--tz "${zone}" is not an IANA time zone`, EXIT.usage, "for example Europe/Berlin, America/New_York or UTC");

  const manifest = await projectManifest(resolve(args.project ?? "."), new Date(now), { json: args.format === "json" });
  const directory = oncallDirectory(manifest);
  const { schedules, services } = select(args, manifest.schedules, manifest.services, directory);
  const report = oncallReport(directory, schedules, services, at.at);

  let feeds: CalendarFeed[] = [];
  if (args.ics !== undefined) {
    // With --service or --team, the feeds cover the schedules selected for them.
    feeds = calendarFeeds(schedules, directory, at.at, at.at + windowMs, at.at);
    await writeFeeds(resolve(args.ics), feeds);
  }
  if (args.format === "json") process.stdout.write(JSON.stringify(oncallJson(report, feeds), null, 2) + "\n");
  else {
    process.stdout.write(args.format === "markdown" ? renderOncallMarkdown(report, directory, zone) : renderOncallText(report, directory, zone));
    if (args.ics !== undefined) process.stderr.write(`wrote ${feeds.length} iCalendar feed${feeds.length === 1 ? "" : "s"} to ${args.ics} (${args.window ?? "30d"} from --at)\n`);
  }
  return EXIT.ok;
}

function select(args: OncallArgs, allSchedules: OncallScheduleSpec[], allServices: ServiceSpec[], directory: OncallDirectory): { schedules: OncallScheduleSpec[]; services: ServiceSpec[] } {
  if (args.schedule !== undefined) return { schedules: [known(args.schedule, directory.schedules, "schedule")], services: [] };
  if (args.service !== undefined) {
    const service = known(args.service, directory.services, "service");
    const ids = new Set((directory.policies.get(service.escalationPolicy)?.rules ?? []).flatMap((r) => r.targets.filter((t) => t.type === "schedule").map((t) => t.id)));
    return { schedules: allSchedules.filter((s) => ids.has(s.id)), services: [service] };
  }
  if (args.team !== undefined) {
    known(args.team, directory.teams, "team");
    return { schedules: allSchedules.filter((s) => s.teams.includes(args.team!)), services: allServices.filter((s) => s.team === args.team) };
  }
  return { schedules: allSchedules, services: [] };
}

function known<T>(id: string, byId: ReadonlyMap<string, T>, kind: string): T {
  const found = byId.get(id);
  if (found !== undefined) return found;
  const ids = [...byId.keys()];
  const near = nearIds(id, ids);
  throw new UserError(`unknown ${kind} "${id}"`, EXIT.usage, near.length > 0 ? `did you mean ${near.join(", ")}?` : ids.length === 0 ? `the project has no ${kind}s` : `the project's ${kind}s: ${ids.slice(0, 8).join(", ")}`);
}

async function writeFeeds(dir: string, feeds: CalendarFeed[]): Promise<void> {
  try {
    makeFolders(dir);
    for (const f of feeds) await writeFile(join(dir, f.file), f.text);
  } catch (error) {
    const refusal = fileRefusal(error);
    if (refusal === null) throw error;
    throw new UserError(`cannot write the iCalendar feeds to ${dir}: ${refusal.reason} (${refusal.code})`, EXIT.findings, refusal.hint);
  }
}
