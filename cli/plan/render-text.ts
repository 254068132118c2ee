import pc from "picocolors";
import { clipLine, describeBase, entrySymbol, origin, resourceSymbol, shortType, summaryLines } from "./render-common.js";
import { visible, visibleLine } from "../visible-text.js";
import { monitorDetails, propertyDetails, type DetailLine } from "./readable-changes.js";
import { notificationTextLines } from "./render-notifications.js";
import type { MonitorAction, Plan, ResourceAction } from "./types.js";

type Colors = ReturnType<typeof pc.createColors>;

/** The plan for a terminal; colors only when asked (the command passes `stdout.isTTY`). */
export function renderText(plan: Plan, options: { color: boolean }): string {
  const c = pc.createColors(options.color);
  const lines: string[] = [c.bold(`Watchkeeper plan against ${describeBase(plan)}`), ""];
  if (!plan.changesPresent) {
    lines.push("No changes: the monitors and PagerDuty resources match the base.", "", `Plan token: ${plan.planToken}`);
    return lines.join("\n") + "\n";
  }
  lines.push(...summaryLines(plan), "");
  if (plan.warnings.length > 0) {
    lines.push(c.yellow(c.bold("Warnings:")));
    for (const w of plan.warnings) lines.push(c.yellow(`  ! ${visibleLine(w.message)} [${w.code}]`));
    lines.push("");
  }
  if (plan.monitors.length > 0) {
    lines.push(c.bold("Monitors:"));
    for (const m of plan.monitors) lines.push(...entry(c, m.action, entrySymbol[m.action], visibleLine(`${m.id}${origin(m)}`), monitorDetails(m)));
    lines.push("");
  }
  if (plan.resources.length > 0) {
    lines.push(c.bold("PagerDuty resources:"));
    for (const r of plan.resources) {
      const why = r.action === "replace" ? ` (replaced because ${r.replaceBecause.join(", ")} changed)` : "";
      lines.push(...entry(c, r.action, resourceSymbol[r.action], `${visibleLine(r.name)} ${c.dim(visibleLine(shortType(r.type)))}${visibleLine(`${origin(r)}${why}`)}`, propertyDetails(r.action, r.changes)));
    }
    lines.push("");
  }
  if (plan.config.length > 0) {
    lines.push(c.bold("Runtime config:"));
    for (const e of plan.config) lines.push(...entry(c, e.action, entrySymbol[e.action], visibleLine(`${e.kind} ${e.id}`), propertyDetails(e.action, e.changes)));
    lines.push("");
  }
  const previews = plan.notifications ?? [];
  if (previews.length > 0) {
    lines.push(c.bold("Notifications on trigger (full messages: --format markdown or json):"), ...notificationTextLines(previews), "");
  }
  lines.push(`Plan token: ${plan.planToken}`);
  return lines.join("\n") + "\n";
}

function paint(c: Colors, action: MonitorAction | ResourceAction): (text: string) => string {
  switch (action) {
    case "add":
    case "create":
      return c.green;
    case "change":
    case "update":
      return c.yellow;
    case "replace":
      return c.magenta;
    case "move":
    case "import":
      return c.cyan;
    case "remove":
    case "delete":
      return c.red;
  }
}

function entry(c: Colors, action: MonitorAction | ResourceAction, symbol: string, title: string, details: DetailLine[]): string[] {
  return [paint(c, action)(`  ${symbol} ${title}`), ...details.map((d) => detail(c, d))];
}

function detail(c: Colors, d: DetailLine): string {
  if (d.kind !== "source") return `      ${d.text}`;
  switch (d.op) {
    case "removed":
      return c.red(`        - ${clipLine(d.text)}`);
    case "added":
      return c.green(`        + ${clipLine(d.text)}`);
    case "same":
      return `          ${clipLine(d.text)}`;
    case "skipped":
      return c.dim(`          ${visible(d.text)}`);
  }
}
