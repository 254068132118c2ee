import { describeBase, shortType } from "./render-common.js";
import type { Plan, ResourceAction } from "./types.js";

const RESOURCE_ACTIONS: ResourceAction[] = ["create", "update", "replace", "delete", "move", "import"];

/**
 * The plan in a few lines (`wk plan --summary`, what `npm start` prints): counts per kind of
 * resource and change, not one entry per resource. `wk plan` without it shows every property.
 */
export function renderSummary(plan: Plan): string {
  const lines = [`Watchkeeper plan against ${describeBase(plan)}:`];
  if (!plan.changesPresent) {
    lines.push("  no changes");
  } else {
    const m = plan.summary.monitors;
    const monitors = (["add", "change", "remove", "move"] as const).filter((a) => m[a] > 0).map((a) => `${m[a]} to ${a}`);
    if (monitors.length > 0) lines.push(`  Monitors: ${monitors.join(", ")}`);
    for (const action of RESOURCE_ACTIONS) {
      const byKind = new Map<string, number>();
      for (const r of plan.resources) if (r.action === action) byKind.set(shortType(r.type), (byKind.get(shortType(r.type)) ?? 0) + 1);
      if (byKind.size === 0) continue;
      const kinds = [...byKind.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([kind, n]) => `${n} ${kind}`);
      lines.push(`  PagerDuty, to ${action}: ${kinds.join(", ")}`);
    }
    if (plan.summary.config > 0) lines.push(`  Runtime config: ${plan.summary.config} change${plan.summary.config === 1 ? "" : "s"}`);
    if (plan.warnings.length > 0) lines.push(`  ${plan.warnings.length} warning${plan.warnings.length === 1 ? "" : "s"} (wk plan shows them)`);
  }
  lines.push(`  Plan token: ${plan.planToken}`);
  return lines.join("\n") + "\n";
}
