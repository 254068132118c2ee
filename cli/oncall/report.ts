import type { OncallScheduleSpec, ServiceSpec } from "../../sdk/manifest/schema.js";
import { personLabel, type OncallDirectory } from "./directory.js";
import { markdownCell } from "./markdown.js";
import { onCallAt, resolveTargets, type ResolvedTarget } from "./resolve.js";
import { formatInstant, isoInstant } from "./time.js";

/** Who one schedule has on call at the instant asked about. */
export interface ScheduleAnswer {
  schedule: OncallScheduleSpec;
  user: string | null;
  layer: string | null;
  since: number | null;
  until: number | null;
}

/** Who each rule of a service's escalation policy reaches if an incident opens at the instant. */
export interface ServiceAnswer {
  service: ServiceSpec;
  loops: number;
  rules: Array<{ delay: string; targets: ResolvedTarget[] }>;
}

export interface OncallReport {
  at: number;
  schedules: ScheduleAnswer[];
  services: ServiceAnswer[];
}

/** Answers "who is on call at `at`" for the given schedules and services. */
export function oncallReport(directory: OncallDirectory, schedules: OncallScheduleSpec[], services: ServiceSpec[], at: number): OncallReport {
  return {
    at,
    schedules: schedules.map((schedule) => {
      const who = onCallAt(schedule, at);
      return { schedule, user: who?.user ?? null, layer: who?.layerName ?? null, since: who?.since ?? null, until: who?.until ?? null };
    }),
    services: services.map((service) => {
      const policy = directory.policies.get(service.escalationPolicy);
      return {
        service,
        loops: policy?.loops ?? 0,
        rules: (policy?.rules ?? []).map((r) => ({ delay: r.escalationDelay, targets: resolveTargets(r.targets, directory, at) })),
      };
    }),
  };
}

function who(directory: OncallDirectory, t: ResolvedTarget): string {
  if (t.type === "user") return personLabel(directory, t.id);
  return t.user === null ? `nobody on ${t.id}` : `${personLabel(directory, t.user)} via ${t.id}`;
}

/** Plain text; each schedule's times in its own zone unless `zone` is given. */
export function renderOncallText(report: OncallReport, directory: OncallDirectory, zone: string | null): string {
  const lines = [`On call at ${formatInstant(report.at, zone ?? "UTC")}${zone ? "" : " (UTC)"}:`];
  if (report.schedules.length > 0) {
    lines.push("", "Schedules");
    const rows = report.schedules.map((s) => {
      const z = zone ?? s.schedule.timeZone;
      return s.user === null
        ? [s.schedule.id, "NOBODY on call"]
        : [s.schedule.id, personLabel(directory, s.user), s.layer ?? "", `${formatInstant(s.since!, z)} to ${formatInstant(s.until!, z)}`];
    });
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r.length > i + 1 ? r[i]!.length : 0))));
    for (const r of rows) lines.push(`  ${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join("  ")}`);
  }
  for (const s of report.services) {
    lines.push("", `Service ${s.service.id} (escalation policy ${s.service.escalationPolicy}${s.loops > 0 ? `, repeats ${s.loops}x` : ""})`);
    if (s.rules.length === 0) lines.push("  NOBODY: the escalation policy has no rules");
    s.rules.forEach((r, i) => lines.push(`  rule ${i + 1}  ${r.targets.map((t) => who(directory, t)).join("; ")}  (escalates after ${r.delay})`));
  }
  if (report.schedules.length === 0 && report.services.length === 0) lines.push("", "The project has no schedules.");
  return lines.join("\n") + "\n";
}

/** A Markdown table per part, for a chat message or a pull request. */
export function renderOncallMarkdown(report: OncallReport, directory: OncallDirectory, zone: string | null): string {
  const lines = [`### On call at ${formatInstant(report.at, zone ?? "UTC")}`];
  if (report.schedules.length > 0) {
    lines.push("", "| Schedule | On call | Layer | From | Until |", "| --- | --- | --- | --- | --- |");
    for (const s of report.schedules) {
      const z = zone ?? s.schedule.timeZone;
      lines.push(
        s.user === null
          ? `| ${markdownCell(s.schedule.id)} | **nobody** | | | |`
          : `| ${markdownCell(s.schedule.id)} | ${markdownCell(personLabel(directory, s.user))} | ${markdownCell(s.layer ?? "")} | ${formatInstant(s.since!, z)} | ${formatInstant(s.until!, z)} |`,
      );
    }
  }
  for (const s of report.services) {
    lines.push("", `**Service ${markdownCell(s.service.id)}** (escalation policy ${markdownCell(s.service.escalationPolicy)})`, "", "| Rule | Reaches | Escalates after |", "| --- | --- | --- |");
    s.rules.forEach((r, i) => lines.push(`| ${i + 1} | ${markdownCell(r.targets.map((t) => who(directory, t)).join("; "))} | ${r.delay} |`));
  }
  return lines.join("\n") + "\n";
}

/** The stable JSON shape (docs/simulate-and-oncall.md); instants ISO 8601 UTC. */
export function oncallJson(report: OncallReport, feeds: Array<{ file: string; of: { kind: string; id: string }; events: number }>): unknown {
  const iso = (t: number | null) => (t === null ? null : isoInstant(t));
  return {
    at: isoInstant(report.at),
    schedules: report.schedules.map((s) => ({ id: s.schedule.id, timeZone: s.schedule.timeZone, user: s.user, layer: s.layer, since: iso(s.since), until: iso(s.until) })),
    services: report.services.map((s) => ({
      id: s.service.id,
      escalationPolicy: s.service.escalationPolicy,
      loops: s.loops,
      rules: s.rules.map((r, i) => ({ rule: i + 1, delay: r.delay, targets: r.targets.map((t) => ({ type: t.type, id: t.id, user: t.user, layer: t.layer, until: iso(t.until) })) })),
    })),
    feeds: feeds.map((f) => ({ file: f.file, kind: f.of.kind, id: f.of.id, events: f.events })),
  };
}
