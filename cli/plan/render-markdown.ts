import { describeBase, entrySymbol, resourceSymbol, shortType, showChange } from "./render-common.js";
import type { Plan } from "./types.js";

/** Marks the pull-request comment so CI updates it instead of adding another. */
export const PLAN_COMMENT_MARKER = "<!-- watchkeeper-plan -->";

/** The plan as a pull-request comment: summary table first, details folded per section. */
export function renderMarkdown(plan: Plan): string {
  const out: string[] = [PLAN_COMMENT_MARKER, "### Watchkeeper plan", "", `Compared with ${escapeInline(describeBase(plan))}.`, ""];
  if (!plan.changesPresent) {
    out.push("**No changes**: the monitors and PagerDuty resources match the base.", "", tokenLine(plan));
    return out.join("\n") + "\n";
  }
  const m = plan.summary.monitors;
  const r = plan.summary.resources;
  out.push(
    "| | Add | Change | Replace | Remove |",
    "|---|---:|---:|---:|---:|",
    `| Monitors | ${m.add} | ${m.change} | – | ${m.remove} |`,
    `| PagerDuty resources | ${r.create} | ${r.update} | ${r.replace} | ${r.delete} |`,
    `| Runtime config | ${count(plan, "add")} | ${count(plan, "change")} | – | ${count(plan, "remove")} |`,
    "",
  );
  if (plan.warnings.length > 0) {
    out.push("> [!WARNING]", ...plan.warnings.map((w) => `> - ${escapeInline(w.message)} (\`${w.code}\`)`), "");
  }
  if (plan.monitors.length > 0) {
    const lines = plan.monitors.flatMap((e) => block(prefix(entrySymbol[e.action]), e.id, e.changes.map(showChange)));
    out.push(...folded(`Monitors (${plan.monitors.length})`, lines));
  }
  if (plan.resources.length > 0) {
    const lines = plan.resources.flatMap((e) => {
      const why = e.action === "replace" ? ` (replaced because ${e.replaceBecause.join(", ")} changed)` : "";
      return block(prefix(resourceSymbol[e.action]), `${e.name} (${shortType(e.type)})${why}`, e.action === "delete" ? [] : e.changes.map(showChange));
    });
    out.push(...folded(`PagerDuty resources (${plan.resources.length})`, lines));
  }
  if (plan.config.length > 0) {
    const lines = plan.config.flatMap((e) => block(prefix(entrySymbol[e.action]), `${e.kind} ${e.id}`, e.action === "remove" ? [] : e.changes.map(showChange)));
    out.push(...folded(`Runtime config (${plan.config.length})`, lines));
  }
  out.push(tokenLine(plan));
  return out.join("\n") + "\n";
}

function count(plan: Plan, action: "add" | "change" | "remove"): number {
  return plan.config.filter((e) => e.action === action).length;
}

/** GitHub colors `diff` lines by their first character: + green, - red, ! orange. */
function prefix(symbol: string): string {
  return symbol === "~" ? "!" : symbol;
}

/** A title line and its property lines; a replacement's properties read as changes (orange). */
function block(symbol: string, title: string, details: string[]): string[] {
  const detail = symbol === "-/+" ? "!" : symbol;
  return [`${symbol} ${fence(title)}`, ...details.map((d) => `${detail}     ${fence(d)}`)];
}

function folded(summary: string, lines: string[]): string[] {
  return [`<details><summary>${summary}</summary>`, "", "```diff", ...lines, "```", "", "</details>", ""];
}

function tokenLine(plan: Plan): string {
  return `<sub>Plan token \`${plan.planToken}\` · target \`${plan.target.hash}\`</sub>`;
}

/** Keeps a value from closing the code fence it sits in. */
function fence(text: string): string {
  return text.replace(/```/g, "`\u200b``");
}

function escapeInline(text: string): string {
  return text.replace(/[|<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
