import type { EscalationPolicySpec, Manifest } from "../../sdk/manifest/schema.js";
import { uncoveredHours } from "./coverage.js";
import { refusedMaintenanceWindows } from "./maintenance-windows.js";
import { readdedContactMethods } from "./readded-contact-methods.js";
import { createdUsersReleased, existingUsersCreated } from "./existing-users.js";
import { membersStillOnPolicies } from "./team-members.js";
import { recreatedUnderNewIds } from "./recreated.js";
import type { NotificationPreview } from "./notification-preview.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Destructive changes, on-call coverage that got worse, and what PagerDuty would refuse or the
 * deploy would undo (maintenance windows, re-added contact methods, users switched between created
 * and existing, team members still paged, objects re-created under a new id); `now` starts the
 * 4-week coverage window and says which windows have started or ended.
 */
export function planWarnings(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[], now: Date): PlanWarning[] {
  return [
    ...destructive(resources),
    ...emptiedPolicies(base, target),
    ...coverageWorse(base, target, now),
    ...refusedMaintenanceWindows(base, target, resources, now),
    ...readdedContactMethods(base, target, resources),
    ...existingUsersCreated(base, target, resources),
    ...createdUsersReleased(base, target, resources),
    ...membersStillOnPolicies(base, target, resources),
    ...recreatedUnderNewIds(base, target, resources),
  ];
}

function destructive(resources: readonly ResourceChange[]): PlanWarning[] {
  const out: PlanWarning[] = [];
  for (const r of resources) {
    if (r.action !== "delete" && r.action !== "replace") continue;
    for (const kind of ["service", "schedule"] as const) {
      const prefix = `${kind}:`;
      if (!r.name.startsWith(prefix)) continue;
      const id = r.name.slice(prefix.length);
      out.push(
        r.action === "delete"
          ? { code: `${kind}-deleted`, subject: id, message: `${kind} ${id} will be deleted in PagerDuty, with its history and integrations` }
          : { code: `${kind}-replaced`, subject: id, message: `${kind} ${id} will be replaced (${r.replaceBecause.join(", ")} changed): it gets a new PagerDuty id` },
      );
    }
  }
  return out;
}

function targetCount(policy: EscalationPolicySpec): number {
  return policy.rules.reduce((n, rule) => n + rule.targets.length, 0);
}

function emptiedPolicies(base: Manifest | null, target: Manifest): PlanWarning[] {
  const before = new Map((base?.escalationPolicies ?? []).map((p) => [p.id, p]));
  return target.escalationPolicies
    .filter((p) => p.rules.some((rule) => rule.targets.length === 0))
    .filter((p) => {
      const old = before.get(p.id);
      return old === undefined || targetCount(old) > targetCount(p) || old.rules.every((rule) => rule.targets.length > 0);
    })
    .map((p) => ({
      code: "escalation-policy-without-targets" as const,
      subject: p.id,
      message: `escalation policy ${p.id} has a rule with no targets left: incidents reaching it page nobody`,
    }));
}

/** Schedules behind the first escalation rule of some service: who gets paged first. */
function firstResponderSchedules(manifest: Manifest): Set<string> {
  const policies = new Map(manifest.escalationPolicies.map((p) => [p.id, p]));
  const out = new Set<string>();
  for (const service of manifest.services) {
    const first = policies.get(service.escalationPolicy)?.rules[0];
    for (const t of first?.targets ?? []) if (t.type === "schedule") out.add(t.id);
  }
  return out;
}

function coverageWorse(base: Manifest | null, target: Manifest, now: Date): PlanWarning[] {
  if (!base) return [];
  const before = new Map(base.schedules.map((s) => [s.id, s]));
  const after = new Map(target.schedules.map((s) => [s.id, s]));
  const out: PlanWarning[] = [];
  for (const id of [...firstResponderSchedules(target)].sort()) {
    const next = after.get(id);
    const prev = before.get(id);
    if (!next || !prev || JSON.stringify(prev.layers) === JSON.stringify(next.layers)) continue;
    const was = uncoveredHours(prev, now);
    const will = uncoveredHours(next, now);
    if (will > was) {
      out.push({
        code: "coverage-worse",
        subject: id,
        message: `schedule ${id} leaves ${fmt(will)} h uncovered in the next 4 weeks (was ${fmt(was)} h)`,
      });
    }
  }
  return out;
}

function fmt(hours: number): string {
  return Number.isInteger(hours) ? String(hours) : hours.toFixed(1);
}

/**
 * A summary function that gave no text on the sample (it throws, loops, ends the process, reads
 * the environment, touches files or returns a non-string): its preview shows the reason, and so
 * does this warning. A base without compiled code is not the author's problem and only noted in
 * the preview.
 */
export function summaryWarnings(previews: readonly NotificationPreview[]): PlanWarning[] {
  return previews.flatMap((p) =>
    p.summaryProblems
      .filter((problem) => problem.side === "after" || problem.reason.startsWith("the summary function"))
      .map((problem) => ({
        code: "summary-not-previewed" as const,
        subject: p.monitor,
        message: `${p.monitor}${problem.side === "before" ? " (in the base)" : ""}: ${problem.reason}`,
      })),
  );
}
