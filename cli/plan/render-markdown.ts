import { clipLine, codeSpan, describeBase, entrySymbol, origin, resourceSymbol, shortType } from "./render-common.js";
import { visibleLine } from "../visible-text.js";
import { monitorDetails, propertyDetails, type DetailLine } from "./readable-changes.js";
import { notificationMarkdownBlock } from "./render-notifications.js";
import type { Plan } from "./types.js";

/** Marks the pull-request comment so CI updates it instead of adding another. */
export const PLAN_COMMENT_MARKER = "<!-- watchkeeper-plan -->";

/** GitHub refuses a comment body over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;
/** Property and source lines shown under one entry before the rest is counted instead. */
const MAX_DETAILS = 40;
/** Warnings listed before the rest is counted instead. */
const MAX_WARNINGS = 50;

export interface MarkdownOptions {
  /** Longest body to produce (default: GitHub's comment limit). */
  limit?: number;
  /** Where the full plan is, named when something is left out (default: `plan.json`). */
  fullPlan?: string;
}

interface Section {
  title: string;
  noun: string;
  entries: string[][];
}

/**
 * The plan as a pull-request comment: summary table first, details folded per section. It always
 * fits one comment: entries that would overflow it are left out, counted, and the full plan named.
 */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const limit = options.limit ?? COMMENT_LIMIT;
  const fullPlan = options.fullPlan ?? "plan.json";
  const head: string[] = [PLAN_COMMENT_MARKER, "### Watchkeeper plan", "", `Compared with ${describeBase(plan, codeSpan)}.`, ""];
  if (!plan.changesPresent) {
    head.push("**No changes**: the monitors and PagerDuty resources match the base.", "", tokenLine(plan));
    return head.join("\n") + "\n";
  }
  const m = plan.summary.monitors;
  const r = plan.summary.resources;
  head.push(
    "| | Add | Change | Replace | Remove |",
    "|---|---:|---:|---:|---:|",
    `| Monitors | ${m.add} | ${m.change} | – | ${m.remove} |`,
    `| PagerDuty resources | ${r.create} | ${r.update} | ${r.replace} | ${r.delete} |`,
    `| Runtime config | ${count(plan, "add")} | ${count(plan, "change")} | – | ${count(plan, "remove")} |`,
    "",
  );
  const kept = [
    [m.move, "monitor(s) move to a new id (their open alerts go with them)"],
    [r.move, "PagerDuty resource(s) move to a new name (kept, not re-created)"],
    [r.import, "existing PagerDuty object(s) are imported (adopted, not created)"],
  ] as const;
  for (const [n, what] of kept) if (n > 0) head.push(`- ${n} ${what}`);
  if (kept.some(([n]) => n > 0)) head.push("");
  if (plan.warnings.length > 0) {
    // A message can carry the author's text (a summary function's error): it is shown, never rendered.
    const shown = plan.warnings.slice(0, MAX_WARNINGS).map((w) => `> - ${codeSpan(clipLine(w.message, 300))} (\`${w.code}\`)`);
    if (plan.warnings.length > MAX_WARNINGS) shown.push(`> - … and ${plan.warnings.length - MAX_WARNINGS} more warnings (see ${fullPlan})`);
    head.push("> [!WARNING]", ...shown, "");
  }
  const sections: Section[] = [
    {
      title: "Monitors",
      noun: "monitor(s)",
      entries: plan.monitors.map((e) => block(prefix(entrySymbol[e.action]), `${e.id}${origin(e)}`, monitorDetails(e))),
    },
    {
      title: "PagerDuty resources",
      noun: "resource(s)",
      entries: plan.resources.map((e) => {
        const why = e.action === "replace" ? ` (replaced because ${e.replaceBecause.join(", ")} changed)` : "";
        return block(prefix(resourceSymbol[e.action]), `${e.name} (${shortType(e.type)})${origin(e)}${why}`, propertyDetails(e.action, e.changes));
      }),
    },
    {
      title: "Runtime config",
      noun: "entry(ies)",
      entries: plan.config.map((e) => block(prefix(entrySymbol[e.action]), `${e.kind} ${e.id}`, propertyDetails(e.action, e.changes))),
    },
  ].filter((s) => s.entries.length > 0);

  const tail = [tokenLine(plan)];
  const note = (omitted: number) => [
    "> [!NOTE]",
    `> ${omitted} entr${omitted === 1 ? "y is" : "ies are"} not shown: this comment is shortened to fit GitHub's ${COMMENT_LIMIT.toLocaleString("en-US")}-character limit. The full plan is in \`${escapeInline(fullPlan)}\` (the workflow run's plan artifact).`,
    "",
  ];
  // Room for the sections: the limit less the head, the tail, the longest possible note and the
  // per-section wrapping (its own lines and an "... more" line).
  const fixed = size(head) + size(tail) + size(note(Number.MAX_SAFE_INTEGER)) + (sections.length + 1) * 200;
  let room = limit - fixed;
  let omitted = 0;
  const body: string[] = [];
  for (const section of sections) {
    const kept: string[] = [];
    let left = 0;
    for (const lines of section.entries) {
      const cost = size(lines);
      if (left === 0 && cost <= room) {
        kept.push(...lines);
        room -= cost;
      } else left++;
    }
    if (left > 0) kept.push(`  … ${left} more ${section.noun}: see ${fence(fullPlan)}`);
    omitted += left;
    body.push(...folded(`${section.title} (${section.entries.length})`, kept));
  }
  // The notification preview takes what room the diff left: the diff is what the plan is for.
  const previews = plan.notifications ?? [];
  if (previews.length > 0) {
    const kept: string[] = [];
    let left = 0;
    for (const preview of previews) {
      const lines = notificationMarkdownBlock(preview);
      if (left === 0 && size(lines) <= room) {
        kept.push(...lines);
        room -= size(lines);
      } else left++;
    }
    if (left > 0) kept.push(`… ${left} more monitor(s): see the \`notifications\` of ${fence(fullPlan)}`, "");
    omitted += left;
    const n = previews.length;
    body.push(`<details><summary>Notifications on trigger (${n} monitor${n === 1 ? "" : "s"})</summary>`, "", ...kept, "</details>", "");
  }
  const out = [...head, ...(omitted > 0 ? note(omitted) : []), ...body, ...tail];
  return out.join("\n") + "\n";
}

function size(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

function count(plan: Plan, action: "add" | "change" | "remove"): number {
  return plan.config.filter((e) => e.action === action).length;
}

/**
 * GitHub colors `diff` lines by their first character: + green, - red, ! orange. A move reads as
 * a change (orange) and an import as an addition (green); their titles say which.
 */
function prefix(symbol: string): string {
  return symbol === "~" || symbol === ">" ? "!" : symbol === "<" ? "+" : symbol;
}

/** A title line and its detail lines; a replacement's properties read as changes (orange). */
function block(symbol: string, title: string, details: DetailLine[]): string[] {
  const mark = symbol === "-/+" ? "!" : symbol;
  const shown = details.slice(0, MAX_DETAILS).map((d) => detail(mark, d));
  if (details.length > MAX_DETAILS) shown.push(`${mark}     … ${details.length - MAX_DETAILS} more line(s)`);
  return [`${symbol} ${fence(visibleLine(title))}`, ...shown];
}

function detail(mark: string, d: DetailLine): string {
  if (d.kind !== "source") return `${mark}     ${fence(clipLine(d.text, 400))}`;
  const text = fence(clipLine(d.text));
  switch (d.op) {
    case "removed":
      return `-         ${text}`;
    case "added":
      return `+         ${text}`;
    case "same":
    case "skipped":
      return `          ${text}`;
  }
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
