import type { OncallDirectory } from "../oncall/directory.js";
import { markdownCell } from "../oncall/markdown.js";
import { formatInstant, formatSpan, isoInstant } from "../oncall/time.js";
import type { Simulation } from "./simulate.js";
import { timeline, type TimelineEvent } from "./timeline.js";

/** What the simulation was asked, as the output restates it. */
export interface SimulationHeading {
  monitor: string | null;
  service: string | null;
  at: number;
  untilAck: string | null;
  spread: string;
  /** The zone times are shown in. */
  timeZone: string;
}

/** The JSON document's version: a new field is added, never renamed or removed, within a version. */
export const SIMULATION_API_VERSION = "watchkeeper.dev/simulate/v1";

function events(sim: Simulation, directory: OncallDirectory, zone: string): TimelineEvent[] {
  return timeline(sim, directory, (t) => formatInstant(t, zone));
}

function title(h: SimulationHeading): string {
  const what = h.monitor ? `monitor ${h.monitor} starts failing` : `an incident opens on service ${h.service}`;
  const ack = h.untilAck ? `, acknowledged ${h.untilAck} after it fires` : ", nobody acknowledges";
  return `If ${what} at ${formatInstant(h.at, h.timeZone)}${ack}:`;
}

const offset = (at: number, from: number) => (at < from ? `-${formatSpan(from - at)}` : `+${formatSpan(at - from)}`);

/** Aligned columns for a terminal: time in the display zone, time since --at, what happens. */
export function renderText(sim: Simulation, directory: OncallDirectory, h: SimulationHeading): string {
  const list = events(sim, directory, h.timeZone);
  const times = list.map((e) => formatInstant(e.at, h.timeZone));
  const offsets = list.map((e) => offset(e.at, h.at));
  const tw = Math.max(4, ...times.map((t) => t.length));
  const ow = Math.max(2, ...offsets.map((o) => o.length));
  const lines = [title(h), ""];
  list.forEach((e, i) => lines.push(`  ${times[i]!.padEnd(tw)}  ${offsets[i]!.padEnd(ow)}  ${e.loud ? "!! " : ""}${e.text}`));
  if (sim.warnings.length > 0) lines.push("", ...sim.warnings.map((w) => `warning: ${w}`));
  lines.push("", `Times in ${h.timeZone}; checks at their scheduled ticks (spread ${h.spread}), delivery assumed instant.`);
  return lines.join("\n") + "\n";
}

/** A table for a pull-request comment; loud lines in bold. */
export function renderMarkdown(sim: Simulation, directory: OncallDirectory, h: SimulationHeading): string {
  const lines = [`### Paging simulation`, "", title(h), "", "| Time | After | What happens |", "| --- | --- | --- |"];
  for (const e of events(sim, directory, h.timeZone)) {
    const text = markdownCell(e.text);
    lines.push(`| ${formatInstant(e.at, h.timeZone)} | ${offset(e.at, h.at)} | ${e.loud ? `**${text}**` : text} |`);
  }
  if (sim.warnings.length > 0) lines.push("", ...sim.warnings.map((w) => `- **warning:** ${markdownCell(w)}`));
  lines.push("", `_Times in ${h.timeZone}; checks at their scheduled ticks (spread ${h.spread}), delivery assumed instant._`);
  return lines.join("\n") + "\n";
}

/** The stable JSON document (see docs/simulate-and-oncall.md): instants are ISO 8601 UTC. */
export function renderJson(sim: Simulation, directory: OncallDirectory, h: SimulationHeading): string {
  const iso = (t: number | null) => (t === null ? null : isoInstant(t));
  const doc = {
    apiVersion: SIMULATION_API_VERSION,
    request: { monitor: h.monitor, service: h.service, at: isoInstant(h.at), untilAck: h.untilAck, spread: h.spread, timeZone: h.timeZone },
    alert: sim.alert
      ? {
          startedAt: iso(sim.alert.startedAt),
          failingFrom: iso(sim.alert.failingFrom),
          failingChecks: sim.alert.failingChecks.map(isoInstant),
          pendingAt: iso(sim.alert.pendingAt),
          firedAt: iso(sim.alert.firedAt),
          how: sim.alert.how,
        }
      : null,
    notifiedAt: iso(sim.notifiedAt),
    acknowledgedAt: iso(sim.acknowledgedAt),
    mutedBy: sim.mutedBy.map((s) => ({ id: s.id, kind: s.kind, start: isoInstant(s.start), end: isoInstant(s.end) })),
    channels: sim.channels.map((c) => ({ id: c.id, kind: c.kind, audience: c.audience, at: iso(c.at), reminders: c.reminders.map(isoInstant), ackOnly: c.ackOnly })),
    incidents: sim.incidents.map((i) => ({
      service: i.service,
      via: i.via.kind,
      channel: i.via.kind === "incident-channel" ? i.via.channel : null,
      escalationPolicy: i.escalationPolicy,
      urgency: i.urgency,
      openedAt: isoInstant(i.openedAt),
      nobodyReached: i.escalation.nobodyReached,
      exhaustedAt: iso(i.escalation.exhaustedAt),
      resolvesAt: iso(i.resolvesAt),
      steps: i.escalation.steps.map((s) => ({
        pass: s.pass + 1,
        rule: s.rule + 1,
        at: isoInstant(s.at),
        escalatesAt: iso(s.escalatesAt),
        people: s.people,
        targets: s.targets.map((t) => ({ type: t.type, id: t.id, user: t.user, layer: t.layer, until: iso(t.until) })),
      })),
    })),
    outside: sim.outside,
    nobodyReached: sim.nobodyReached,
    warnings: sim.warnings,
    timeline: events(sim, directory, h.timeZone).map((e) => ({ at: isoInstant(e.at), kind: e.kind, text: e.text, loud: e.loud })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
