import type { Manifest, SilenceSpec } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Maintenance windows PagerDuty would refuse to write. Its API takes a window only with an end in
 * the future (api-schema, MaintenanceWindow.end_time), keeps an ended window as it is, and does not
 * move the start of a window that has started. Pulumi applies a plan one resource at a time, so
 * such a window failed the deploy halfway: part of the plan applied, and the stack's record of the
 * deployed manifest not written. `wk plan` shows these, and `wk deploy` refuses them before the
 * engine starts.
 */
export function refusedMaintenanceWindows(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[], now: Date): PlanWarning[] {
  const changed = new Map(resources.map((r) => [r.name, r]));
  const before = new Map((base?.silences ?? []).map((s) => [s.id, s]));
  const out: PlanWarning[] = [];
  for (const window of target.silences) {
    const change = changed.get(logicalName.maintenanceWindow(window.id));
    if (change === undefined || change.action === "delete") continue;
    const problem = change.action === "update" || change.action === "move" ? updateProblem(before.get(window.id), window, now) : endProblem(window, now, "PagerDuty creates a window only with an end in the future");
    if (problem !== null) out.push({ code: "maintenance-window-refused", subject: window.id, message: `maintenance window ${window.id}: ${problem}` });
  }
  return out;
}

function endProblem(window: SilenceSpec, now: Date, why: string): string | null {
  return Date.parse(window.end) <= now.getTime() ? `its end ${window.end} has passed; ${why}` : null;
}

function updateProblem(deployed: SilenceSpec | undefined, window: SilenceSpec, now: Date): string | null {
  if (deployed === undefined) return endProblem(window, now, "PagerDuty creates a window only with an end in the future");
  if (Date.parse(deployed.end) <= now.getTime()) {
    return `it ended at ${deployed.end} and PagerDuty no longer changes an ended window; leave it as deployed, or add the new window under a new id`;
  }
  const ended = endProblem(window, now, "PagerDuty takes a window's end only in the future; end it a minute from now to end it early");
  if (ended !== null) return ended;
  if (Date.parse(deployed.start) <= now.getTime() && Date.parse(deployed.start) !== Date.parse(window.start)) {
    return `it started at ${deployed.start} and PagerDuty does not move the start of a started window; keep its start, and add a new window for a later pause`;
  }
  return null;
}
