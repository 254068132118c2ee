import type { ChannelSpec, Manifest, MonitorSpec, ServiceSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { silenceMatches } from "../../runtime/notify/silences.js";
import { escalate, type Escalation } from "../oncall/escalation.js";
import type { OncallDirectory } from "../oncall/directory.js";
import { oncallDirectory } from "../oncall/directory.js";
import { alertTiming, type AlertTiming } from "./alert-timing.js";

export type SimulationManifest = Omit<Manifest, "hash">;

export interface SimulationRequest {
  /** What fails: a monitor (its alert timing, channels and service), or a service's incident directly. */
  target: { monitor: string } | { service: string };
  /** When the failure starts (monitor), or when the incident opens (service). */
  at: number;
  /** Someone acknowledges this long after the alert fires; null: nobody does. */
  untilAckMs: number | null;
  /** The runtime's largest per-monitor schedule offset (WK_SPREAD, 30s by default). */
  spreadMs: number;
}

/** A channel the monitor notifies directly, and when. */
export interface ChannelNotice {
  id: string;
  kind: ChannelSpec["kind"];
  /** Who or where, without secrets: "#oncall", "2 recipients", "team Platform". */
  audience: string;
  /** When the trigger is delivered (after the channel's groupWait); null when muted throughout. */
  at: number | null;
  reminders: number[];
  /** The channel hears only of acknowledgements (notifyOnAcknowledge). */
  ackOnly: boolean;
}

/** An incident the alert opens on a PagerDuty service of the project, and how it escalates. */
export interface IncidentPath {
  service: string;
  /** Events API v2 through the monitor's `service`, or a REST incident channel. */
  via: { kind: "events-api" } | { kind: "incident-channel"; channel: string };
  escalationPolicy: string;
  urgency: "high" | "low";
  openedAt: number;
  /** When PagerDuty resolves it on its own (the service's autoResolveTimeout), before any acknowledgement; null: it does not. */
  resolvesAt: number | null;
  escalation: Escalation;
}

export interface Silencing {
  id: string;
  kind: "silence" | "maintenance";
  start: number;
  end: number;
}

export interface Simulation {
  monitor: MonitorSpec | null;
  alert: AlertTiming | null;
  /** When notifications first go out: the firing time, or the first reminder after a silence ends. */
  notifiedAt: number | null;
  /** Silences and maintenance windows that muted the trigger or reminders. */
  mutedBy: Silencing[];
  acknowledgedAt: number | null;
  channels: ChannelNotice[];
  incidents: IncidentPath[];
  /** Destinations whose on-call side is outside the project (PagerDuty routing keys of other services, OpsGenie). */
  outside: string[];
  /** True when the failure would reach no person: no incident reaches anyone and no channel is told. */
  nobodyReached: boolean;
  warnings: string[];
}

const MAX_REMINDERS = 10;
const HOUR = 3_600_000;

/**
 * The paging timeline of a failure, from the manifest alone and with time as an argument: when
 * the alert goes pending and fires, which channels hear of it, which services open an incident,
 * and who each escalation step reaches when.
 */
export function simulate(manifest: SimulationManifest, request: SimulationRequest): Simulation {
  const directory = oncallDirectory(manifest);
  if ("service" in request.target) return simulateService(manifest, directory, directory.services.get(request.target.service)!, request);
  const monitor = manifest.monitors.find((m) => m.id === (request.target as { monitor: string }).monitor)!;
  const alert = alertTiming(monitor, request.at, request.spreadMs);
  const warnings: string[] = [];
  if (alert.firedAt === null) {
    warnings.push(`the monitor's schedule never runs again after ${new Date(request.at).toISOString()}: the alert never fires`);
    return { monitor, alert, notifiedAt: null, mutedBy: [], acknowledgedAt: null, channels: [], incidents: [], outside: [], nobodyReached: true, warnings };
  }
  const fired = alert.firedAt;
  const acknowledgedAt = request.untilAckMs === null ? null : fired + request.untilAckMs;
  const emergency = monitor.check.kind === "manual";
  // Reminders keep re-sending the trigger while nobody acknowledges; each is a chance to get past a silence.
  const sends = [fired, ...reminders(monitor, alert, fired, acknowledgedAt ?? fired + 24 * HOUR)];
  const silences = manifest.silences.map((s) => ({ id: s.id, kind: s.kind, start: Date.parse(s.start), end: Date.parse(s.end), matchers: s.matchers }));
  const mutedAt = (t: number) =>
    emergency ? undefined : silences.find((s) => s.start <= t && t < s.end && silenceMatches(s.matchers, { monitorId: monitor.id, serviceId: monitor.service, labels: monitor.labels }));
  const unmuted = sends.filter((t) => mutedAt(t) === undefined);
  const mutedBy = uniqueById(sends.flatMap((t) => mutedAt(t) ?? []).map(({ id, kind, start, end }) => ({ id, kind, start, end })));
  const notifiedAt = unmuted[0] ?? null;
  if (notifiedAt === null) {
    warnings.push(mutedBy.length > 0 ? `every notification is muted by ${mutedBy.map((s) => s.id).join(", ")}` : "nothing is sent");
  }

  const incidents: IncidentPath[] = [];
  const outside: string[] = [];
  const channels: ChannelNotice[] = [];
  const open = (service: ServiceSpec | undefined, via: IncidentPath["via"], urgency: "high" | "low" | null, label: string) => {
    if (!service) {
      outside.push(`${label}: opens an incident on a PagerDuty service outside this project; its escalation is not simulated`);
      return;
    }
    if (notifiedAt === null) return;
    const window = maintenanceOn(manifest, service.id, notifiedAt);
    if (window) {
      warnings.push(inMaintenance(service.id, window));
      return;
    }
    incidents.push(openIncident(service, directory, notifiedAt, via, urgency ?? urgencyOf(service, monitor), acknowledgedAt));
  };
  if (monitor.service !== null) open(directory.services.get(monitor.service), { kind: "events-api" }, null, `service ${monitor.service}`);
  const byId = new Map(manifest.channels.map((c) => [c.id, c]));
  for (const id of monitor.channels) {
    const channel = byId.get(id);
    if (!channel) continue;
    if (channel.kind === "pagerdutyIncident") open(directory.services.get(channel.service), { kind: "incident-channel", channel: id }, channel.urgency, `channel ${id}`);
    if (channel.kind === "pagerduty") outside.push(`channel ${id}: PagerDuty Events API with routing key ${channel.routingKey.secret}; the service behind it is not in this project`);
    if (channel.kind === "opsgenie") outside.push(`channel ${id}: OpsGenie alert for ${audience(channel)}; OpsGenie's own schedules and escalations are not simulated`);
    const wait = channel.groupWait === null ? 0 : durationMs(channel.groupWait);
    channels.push({
      id,
      kind: channel.kind,
      audience: audience(channel),
      at: notifiedAt === null ? null : notifiedAt + wait,
      reminders: unmuted.slice(1, MAX_REMINDERS + 1).filter((t) => acknowledgedAt === null || t < acknowledgedAt).map((t) => t + wait),
      ackOnly: false,
    });
  }
  for (const id of monitor.ackChannels.filter((c) => !monitor.channels.includes(c))) {
    const channel = byId.get(id);
    if (channel) channels.push({ id, kind: channel.kind, audience: audience(channel), at: acknowledgedAt, reminders: [], ackOnly: true });
  }
  // Reminders shown only while the escalation is still running, so the timeline stays readable.
  const horizon = acknowledgedAt ?? Math.max(fired + HOUR, ...incidents.map((i) => i.escalation.exhaustedAt ?? i.escalation.steps.at(-1)?.at ?? 0));
  for (const c of channels) c.reminders = c.reminders.filter((t) => t <= horizon);

  const reachedByIncident = incidents.some((i) => !i.escalation.nobodyReached);
  const toldChannels = channels.some((c) => !c.ackOnly && c.at !== null);
  if (monitor.service === null && !monitor.channels.some((c) => byId.get(c)?.kind === "pagerdutyIncident")) {
    warnings.push(`monitor ${monitor.id} pages no PagerDuty service of this project: no escalation policy takes the alert`);
  }
  for (const i of incidents) if (i.escalation.nobodyReached) warnings.push(`service ${i.service}: nobody is on call in any rule of ${i.escalationPolicy} at ${new Date(i.openedAt).toISOString()}`);
  return {
    monitor,
    alert,
    notifiedAt,
    mutedBy,
    acknowledgedAt,
    channels,
    incidents,
    outside,
    nobodyReached: !reachedByIncident && !toldChannels && outside.length === 0,
    warnings,
  };
}

function simulateService(manifest: SimulationManifest, directory: OncallDirectory, service: ServiceSpec, request: SimulationRequest): Simulation {
  const acknowledgedAt = request.untilAckMs === null ? null : request.at + request.untilAckMs;
  const window = maintenanceOn(manifest, service.id, request.at);
  if (window) {
    const warnings = [inMaintenance(service.id, window)];
    return { monitor: null, alert: null, notifiedAt: request.at, mutedBy: [], acknowledgedAt, channels: [], incidents: [], outside: [], nobodyReached: true, warnings };
  }
  const urgency = service.urgency === "low" ? "low" : "high";
  const incident = openIncident(service, directory, request.at, { kind: "events-api" }, urgency, acknowledgedAt);
  const warnings = incident.escalation.nobodyReached ? [`service ${service.id}: nobody is on call in any rule of ${incident.escalationPolicy} at ${new Date(request.at).toISOString()}`] : [];
  if (service.urgency === "severity_based") warnings.push(`service ${service.id} takes its urgency from the alert's severity; simulated as high (a critical or error alert)`);
  return {
    monitor: null,
    alert: null,
    notifiedAt: request.at,
    mutedBy: [],
    acknowledgedAt,
    channels: [],
    incidents: [incident],
    outside: [],
    nobodyReached: incident.escalation.nobodyReached,
    warnings,
  };
}

/**
 * The manifest's maintenance window on `service` at `at`: `wk deploy` makes it a PagerDuty
 * maintenance window, and PagerDuty triggers no new incident on a service in one, whatever is
 * sent (an emergency press too, or a REST incident channel whose monitor the runtime does not mute).
 */
function maintenanceOn(manifest: SimulationManifest, service: string, at: number): SimulationManifest["silences"][number] | undefined {
  return manifest.silences.find((s) => s.kind === "maintenance" && s.matchers.services.includes(service) && Date.parse(s.start) <= at && at < Date.parse(s.end));
}

function inMaintenance(service: string, window: SimulationManifest["silences"][number]): string {
  return `service ${service} is in maintenance window ${window.id} until ${window.end}: PagerDuty opens no incident on it, so its escalation policy pages nobody`;
}

function openIncident(
  service: ServiceSpec,
  directory: OncallDirectory,
  at: number,
  via: IncidentPath["via"],
  urgency: "high" | "low",
  acknowledgedAt: number | null,
): IncidentPath {
  const policy = directory.policies.get(service.escalationPolicy);
  // An incident left open for the auto-resolve timeout is resolved by PagerDuty: no rule is tried after it ("0s" turns it off).
  const resolveAfter = service.autoResolveTimeout === null ? 0 : durationMs(service.autoResolveTimeout);
  const resolvesAt = resolveAfter > 0 && (acknowledgedAt === null || at + resolveAfter < acknowledgedAt) ? at + resolveAfter : null;
  const until = resolvesAt ?? acknowledgedAt;
  const escalation: Escalation = policy
    ? escalate(policy, directory, at, { escalates: urgency === "high", ...(until === null ? {} : { until }) })
    : { policy: service.escalationPolicy, steps: [], nobodyReached: true, exhaustedAt: null };
  return { service: service.id, via, escalationPolicy: service.escalationPolicy, urgency, openedAt: at, resolvesAt, escalation };
}

/**
 * PagerDuty's urgency for an incident from this monitor: the service's, or with severity-based
 * urgency the alert's severity (critical and error are high, warning and info low).
 */
export function urgencyOf(service: ServiceSpec, monitor: MonitorSpec): "high" | "low" {
  if (service.urgency === "severity_based") return monitor.severity === "critical" || monitor.severity === "error" ? "high" : "low";
  return service.urgency;
}

/** Reminder ticks after `fired` (repeatEvery, counted from the last send), before `until`. */
function reminders(monitor: MonitorSpec, alert: AlertTiming, fired: number, until: number): number[] {
  if (monitor.repeatEvery === null || monitor.check.kind === "manual") return [];
  const every = durationMs(monitor.repeatEvery);
  const out: number[] = [];
  let last = fired;
  // Bounded: enough sends to get past a long maintenance window, never an endless walk.
  while (out.length < MAX_REMINDERS * 4) {
    const due = alert.next(last + every - 1);
    if (due === null || due >= until) break;
    out.push(due);
    last = due;
  }
  return out;
}

function audience(channel: ChannelSpec): string {
  switch (channel.kind) {
    case "slack":
      return channel.channel ?? "the webhook's channel";
    case "email":
      return channel.to.length === 1 ? channel.to[0]! : `${channel.to.length} recipients`;
    case "opsgenie":
      return channel.responders.length === 0 ? "the API key's team" : channel.responders.map((r) => `${r.type} ${r.name}`).join(", ");
    case "pagerduty":
      return `routing key ${channel.routingKey.secret}`;
    case "pagerdutyIncident":
      return `service ${channel.service} (${channel.urgency} urgency)`;
    case "webhook":
      return "HTTP endpoint";
  }
}

function uniqueById<T extends { id: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}
