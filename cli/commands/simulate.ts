import { resolve } from "node:path";
import { parseDuration } from "../../sdk/duration.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { nearIds } from "../near-ids.js";
import { oncallDirectory } from "../oncall/directory.js";
import { parseInstant } from "../oncall/time.js";
import { projectManifest } from "../project-manifest.js";
import { isTimeZone } from "../../sdk/oncall/zoned-time.js";
import { renderJson, renderMarkdown, renderText, type SimulationHeading } from "../simulate/render.js";
import { simulate } from "../simulate/simulate.js";

interface SimulateArgs {
  monitor?: string;
  service?: string;
  at?: string;
  untilAck?: string;
  spread?: string;
  tz?: string;
  format?: "text" | "markdown" | "json";
  project?: string;
}

/**
 * `wk simulate`: the paging timeline of a monitor that starts failing (or of an incident opened
 * on a service) at a given time, from the repository alone. Exit 1 when someone would not be
 * reached: an incident with nobody on call in any rule, or a failure that notifies nobody at all.
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as SimulateArgs;
  if (args.monitor !== undefined && args.service !== undefined) {
    throw new UserError("--monitor and --service cannot be used together", EXIT.usage, "simulate a monitor failing (--monitor ID) or an incident opened on a service (--service ID)");
  }
  if (args.monitor === undefined && args.service === undefined) {
    throw new UserError("name what fails: --monitor ID or --service ID", EXIT.usage, 'for example: wk simulate --monitor checkout-error-rate --at "2026-03-28T03:12 Europe/Berlin"');
  }
  const now = Date.now();
  const at = parseInstant(String(args.at ?? ""), now);
  if ("error" in at) throw new UserError(at.error, EXIT.usage, at.hint);
  const untilAckMs = args.untilAck === undefined ? null : withinAYear(positiveDuration(args.untilAck, "--until-ack"), args.untilAck, "--until-ack");
  const spreadMs = args.spread === undefined ? 30_000 : positiveDuration(args.spread, "--spread", true);
  if (args.tz !== undefined && !isTimeZone(args.tz)) throw new UserError(`--tz "${args.tz}" is not an IANA time zone`, EXIT.usage, "for example Europe/Berlin, America/New_York or UTC");

  const manifest = await projectManifest(resolve(args.project ?? "."), new Date(now), { json: args.format === "json" });
  const directory = oncallDirectory(manifest);
  if (args.monitor !== undefined) known(args.monitor, manifest.monitors.map((m) => m.id), "monitor");
  if (args.service !== undefined) known(args.service, manifest.services.map((s) => s.id), "service");

  const sim = simulate(manifest, {
    target: args.monitor !== undefined ? { monitor: args.monitor } : { service: args.service! },
    at: at.at,
    untilAckMs,
    spreadMs,
  });
  const heading: SimulationHeading = {
    monitor: args.monitor ?? null,
    service: args.service ?? null,
    at: at.at,
    untilAck: args.untilAck ?? null,
    spread: args.spread ?? "30s",
    timeZone: args.tz ?? at.zone ?? displayZone(sim.incidents.map((i) => i.escalationPolicy), directory) ?? "UTC",
  };
  const render = args.format === "json" ? renderJson : args.format === "markdown" ? renderMarkdown : renderText;
  process.stdout.write(render(sim, directory, heading));
  return sim.nobodyReached || sim.incidents.some((i) => i.escalation.nobodyReached) ? EXIT.findings : EXIT.ok;
}

function positiveDuration(text: string, flag: string, zeroAllowed = false): number {
  const ms = parseDuration(String(text));
  if (ms === undefined || (ms <= 0 && !zeroAllowed)) throw new UserError(`${flag} ${JSON.stringify(text)} is not a duration`, EXIT.usage, `write it like 30m, 90s or 1h${zeroAllowed ? " (0s turns it off)" : ""}`);
  return ms;
}

/** Longest wait for an acknowledgement a simulation follows; as long as `wk oncall --window`. */
const LONGEST_MS = 366 * 86_400_000;

/**
 * A duration of at most a year: an escalation is long over by then, and a far longer one put the
 * acknowledgement past the last date JavaScript can represent (an internal error, not an answer).
 */
function withinAYear(ms: number, text: string, flag: string): number {
  if (ms > LONGEST_MS) throw new UserError(`${flag} ${text} is longer than a year`, EXIT.usage, "an acknowledgement a year after the alert fires shows the whole escalation; write it like 30m, 4h or 2d");
  return ms;
}

function known(id: string, ids: string[], kind: string): void {
  if (ids.includes(id)) return;
  const near = nearIds(id, ids);
  throw new UserError(
    `unknown ${kind} "${id}"`,
    EXIT.usage,
    near.length > 0 ? `did you mean ${near.join(", ")}?` : ids.length === 0 ? `the project has no ${kind}s` : `the project's ${kind}s: ${ids.slice(0, 8).join(", ")}${ids.length > 8 ? ", ..." : ""}`,
  );
}

/** Without --tz or a zone in --at, times are shown in the zone of the first schedule paged. */
function displayZone(policyIds: string[], directory: ReturnType<typeof oncallDirectory>): string | null {
  for (const id of policyIds) {
    for (const rule of directory.policies.get(id)?.rules ?? []) {
      for (const t of rule.targets) if (t.type === "schedule") return directory.schedules.get(t.id)?.timeZone ?? null;
    }
  }
  return null;
}
