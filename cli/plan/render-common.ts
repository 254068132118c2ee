import { visible } from "../visible-text.js";
import type { MonitorAction, MonitorChange, Plan, PropertyChange, ResourceAction, ResourceChange } from "./types.js";

const MAX_VALUE = 160;

/** A value as it appears in a plan line: JSON, shortened when long. */
export function showValue(value: unknown): string {
  // null is how the manifest spells "not set"; a reader should not see the JSON of it.
  const text = value === undefined || value === null ? "(none)" : visible(JSON.stringify(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** `path: before -> after`, or just the side that exists for additions and removals. */
export function showChange(change: PropertyChange): string {
  // A path holds label and detail keys, which are the author's text too.
  const path = visible(change.path);
  if (!("before" in change)) return `${path}: ${showValue(change.after)}`;
  if (!("after" in change)) return `${path}: ${showValue(change.before)} -> (removed)`;
  return `${path}: ${showValue(change.before)} -> ${showValue(change.after)}`;
}

/**
 * The author's text inline in Markdown, as a code span: GitHub renders nothing in it (no link,
 * image, HTML, emphasis, @mention or autolink), so an error message or a label cannot ping
 * people or show a picture of "No changes" in the plan comment. The run of backticks around it
 * is longer than any run inside.
 */
export function codeSpan(text: string): string {
  const one = visible(text).replace(/\n/g, " ");
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const pad = one.startsWith("`") || one.endsWith("`") ? " " : "";
  return `${ticks}${pad}${one}${pad}${ticks}`;
}

/** `pagerduty:index/service:Service` -> `Service`. */
export function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

export const entrySymbol: Record<MonitorAction, string> = { add: "+", change: "~", remove: "-", move: ">" };
export const resourceSymbol: Record<ResourceAction, string> = { create: "+", update: "~", replace: "-/+", delete: "-", move: ">", import: "<" };

/** What a title adds for a move or an import: where the entry comes from. */
export function origin(change: Pick<MonitorChange, "from"> & Partial<Pick<ResourceChange, "importId">>): string {
  if (change.from !== undefined) return ` (moved from ${change.from})`;
  if (change.importId !== undefined) return ` (imported: existing PagerDuty object ${change.importId})`;
  return "";
}

/**
 * Where the base came from, in words. The ref is a branch name someone pushed (the pull request's
 * base): `quote` shows it, with its invisible characters spelled out in text, as a code span in
 * Markdown (no @mention, no bidi reordering in the comment).
 */
export function describeBase(plan: Plan, quote: (ref: string) => string = visible): string {
  switch (plan.base.kind) {
    case "git":
      return `git ref ${quote(plan.base.ref ?? "")}`;
    case "file":
      return `manifest ${quote(plan.base.ref ?? "")}`;
    case "stack":
      return `what stack ${quote(plan.base.ref ?? "")} has deployed`;
    case "empty":
      return "nothing (first deploy)";
  }
}

/** One line per section, as the summary of both renderers. */
export function summaryLines(plan: Plan): string[] {
  const m = plan.summary.monitors;
  const r = plan.summary.resources;
  // Moves and imports are rare; they are named only when present, so the usual lines stay short.
  const extra = (counts: [number, string][]) => counts.filter(([n]) => n > 0).map(([n, what]) => `, ${n} to ${what}`).join("");
  return [
    `Monitors: ${m.add} to add, ${m.change} to change, ${m.remove} to remove${extra([[m.move, "move"]])}`,
    `PagerDuty: ${r.create} to create, ${r.update} to update, ${r.replace} to replace, ${r.delete} to delete${extra([[r.move, "move"], [r.import, "import"]])}`,
    `Runtime config: ${plan.summary.config} change${plan.summary.config === 1 ? "" : "s"}`,
  ];
}

/** A source line in a plan, cut at a readable width. */
export function clipLine(text: string, max = 200): string {
  const shown = visible(text);
  const chars = [...shown];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : shown;
}
