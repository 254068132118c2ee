import { personLabel, type OncallDirectory } from "../oncall/directory.js";
import type { EscalationStep } from "../oncall/escalation.js";
import { formatSpan } from "../oncall/time.js";
import type { IncidentPath, Simulation } from "./simulate.js";

export type EventKind =
  | "failing"
  | "check"
  | "pending"
  | "fired"
  | "muted"
  | "channel"
  | "reminder"
  | "incident"
  | "escalation"
  | "skipped"
  | "nobody"
  | "exhausted"
  | "acknowledged"
  | "resolved"
  | "outside"
  | "never";

/** One line of the paging timeline. `loud` marks the lines that mean nobody is reached. */
export interface TimelineEvent {
  at: number;
  kind: EventKind;
  text: string;
  loud: boolean;
}

/**
 * The simulation as one time-ordered list of sentences, shared by the text and Markdown output
 * (and carried in the JSON). `when` formats instants named inside a sentence (shift ends, silences).
 */
export function timeline(sim: Simulation, directory: OncallDirectory, when: (t: number) => string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const add = (at: number, kind: EventKind, text: string, loud = false) => events.push({ at, kind, text, loud });
  const m = sim.monitor;
  const a = sim.alert;
  if (m && a) {
    if (m.check.kind === "manual") add(a.failingFrom, "failing", `${m.id}: emergency raised (${a.how})`);
    else if (m.check.kind === "heartbeat") {
      add(a.startedAt, "failing", `${m.id}: last ping received (${a.how})`);
      add(a.failingFrom, "failing", `${m.id}: ping overdue from here`);
    } else add(a.failingFrom, "failing", `${m.id} starts failing (${a.how})`);
    a.failingChecks.forEach((t, i) => add(t, "check", `check fails (${i + 1} of ${m.failureThreshold} consecutive failures needed)`));
    if (a.pendingAt !== null) add(a.pendingAt, "pending", `alert pending: must keep failing for ${m.for} before it fires`);
    if (a.firedAt === null) add(a.failingFrom, "never", "the schedule never runs again: the alert never fires", true);
    else add(a.firedAt, "fired", `alert fires (severity ${m.severity})${m.for !== "0s" && a.pendingAt !== null ? `, ${formatSpan(a.firedAt - a.pendingAt)} after pending` : ""}`);
    for (const s of sim.mutedBy) {
      add(Math.max(s.start, a.firedAt ?? s.start), "muted", `muted by ${s.kind === "maintenance" ? "maintenance window" : "silence"} ${s.id} (until ${when(s.end)}): notifications in it are dropped`, true);
    }
    if (a.firedAt !== null && sim.notifiedAt !== null && sim.notifiedAt !== a.firedAt) add(sim.notifiedAt, "fired", "first reminder after the silence: the trigger goes out now");
  }
  for (const c of sim.channels) {
    if (c.ackOnly) {
      if (c.at !== null) add(c.at, "channel", `${c.kind} ${c.id} → ${c.audience}: told of the acknowledgement`);
      continue;
    }
    if (c.at !== null) add(c.at, "channel", `${c.kind} ${c.id} → ${c.audience}: alert sent`);
    for (const r of c.reminders) add(r, "reminder", `${c.kind} ${c.id}: reminder (repeatEvery ${m?.repeatEvery ?? ""}, nobody acknowledged)`);
  }
  for (const o of sim.outside) add(sim.notifiedAt ?? sim.alert?.firedAt ?? 0, "outside", o);
  for (const incident of sim.incidents) incidentEvents(incident, directory, when, add);
  if (sim.acknowledgedAt !== null && sim.notifiedAt !== null) add(sim.acknowledgedAt, "acknowledged", "acknowledged (--until-ack): escalation stops");
  if (sim.nobodyReached && sim.alert?.firedAt !== null) add(sim.notifiedAt ?? sim.alert?.firedAt ?? 0, "nobody", "NOBODY IS REACHED: no person and no channel hears of this failure", true);
  // Stable: same instant keeps the order the events were added in (cause before effect).
  return events.map((e, i) => ({ e, i })).sort((x, y) => x.e.at - y.e.at || x.i - y.i).map(({ e }) => e);
}

function incidentEvents(incident: IncidentPath, directory: OncallDirectory, when: (t: number) => string, add: (at: number, kind: EventKind, text: string, loud?: boolean) => void): void {
  const via = incident.via.kind === "events-api" ? "Events API v2" : `incident channel ${incident.via.channel}`;
  const policy = directory.policies.get(incident.escalationPolicy);
  const passes = (policy?.loops ?? 0) + 1;
  add(incident.openedAt, "incident", `PagerDuty incident on service ${incident.service} (${via}, ${incident.urgency} urgency): escalation policy ${incident.escalationPolicy}`);
  if (!policy) {
    add(incident.openedAt, "nobody", `NOBODY IS PAGED: escalation policy ${incident.escalationPolicy} is not in the project`, true);
    return;
  }
  const steps = incident.escalation.steps;
  let lastReached: EscalationStep | null = null;
  for (const step of steps) {
    const rule = `rule ${step.rule + 1}/${policy.rules.length}${passes > 1 ? `, pass ${step.pass + 1}/${passes}` : ""}`;
    if (step.people.length === 0) {
      const empty = step.targets.map((t) => `${t.type} ${t.id}`).join(", ");
      add(step.at, "skipped", `${rule}: nobody on call in ${empty || "its targets"}: skipped, the next rule is tried at once`, true);
      continue;
    }
    lastReached = step;
    const who = step.targets
      .map((t) => (t.type === "user" ? personLabel(directory, t.id) : t.user === null ? `nobody on schedule ${t.id}` : `${personLabel(directory, t.user)} via schedule ${t.id} (${t.layer}, on call until ${when(t.until!)})`))
      .join("; ");
    const delay = policy.rules[step.rule]!.escalationDelay;
    const then =
      incident.urgency === "low"
        ? "low urgency: PagerDuty does not escalate, the incident stays here"
        : step.escalatesAt === null
          ? "the last rule: the incident stays here"
          : `escalates after ${delay} unless acknowledged`;
    add(step.at, "escalation", `${rule}: notifies ${who}; ${then}`);
  }
  if (incident.resolvesAt !== null && !incident.escalation.nobodyReached) {
    add(incident.resolvesAt, "resolved", `PagerDuty resolves the incident on its own (auto-resolve timeout of service ${incident.service}): no rule is tried after this`);
  }
  if (incident.escalation.nobodyReached) {
    add(incident.openedAt, "nobody", `NOBODY IS PAGED: no rule of ${policy.id} has anyone on call at ${when(incident.openedAt)}`, true);
  } else if (incident.escalation.exhaustedAt !== null && lastReached) {
    const names = lastReached.people.map((p) => personLabel(directory, p)).join(", ");
    add(incident.escalation.exhaustedAt, "exhausted", `escalation ends (${policy.loops === 0 ? "no loops" : `${policy.loops} loop${policy.loops > 1 ? "s" : ""} done`}): the incident stays with ${names}; nobody else is notified`);
  }
}
