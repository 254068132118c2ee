import type { IncidentRequest, MessagePreview, NotificationPreview, PreviewKind } from "./notification-preview.js";
import { clipLine, codeSpan } from "./render-common.js";
import { visible, visibleLine } from "../visible-text.js";

/** What each vendor's message is called where a reviewer reads it. */
export const KIND_TITLE: Record<PreviewKind, string> = {
  pagerduty: "PagerDuty (Events API v2)",
  pagerdutyIncident: "PagerDuty (REST incident)",
  slack: "Slack",
  email: "Email",
  opsgenie: "OpsGenie (create alert)",
  webhook: "Webhook",
};

/** The one line a person sees first in each message: what the text output shows. */
export function headlineOf(kind: PreviewKind, message: unknown): string {
  const m = (message ?? {}) as Record<string, unknown>;
  switch (kind) {
    case "pagerduty":
      return String((m["payload"] as Record<string, unknown> | undefined)?.["summary"] ?? "");
    case "pagerdutyIncident":
      return String(((m["body"] as Record<string, unknown> | undefined)?.["incident"] as Record<string, unknown> | undefined)?.["title"] ?? "");
    case "slack":
      return String(m["text"] ?? "");
    case "email":
      return String(m["subject"] ?? "");
    case "opsgenie":
      return String(m["message"] ?? "");
    case "webhook":
      return String(m["summary"] ?? "");
  }
}

/** Brief lines for the terminal: per monitor, each destination's headline, and whether it changed. */
export function notificationTextLines(previews: readonly NotificationPreview[]): string[] {
  const lines: string[] = [];
  for (const p of previews) {
    if (p.messages.length === 0) {
      lines.push(`  ${visibleLine(p.monitor)}: no destination (sends nothing on trigger)`);
      continue;
    }
    lines.push(`  ${visibleLine(p.monitor)}:`);
    for (const problem of p.summaryProblems) lines.push(`    summary not previewed${problem.side === "before" ? " (base)" : ""}: ${clipLine(visibleLine(problem.reason), 300)}`);
    for (const m of p.messages) {
      const state = m.after === undefined ? " (no longer sent)" : m.before !== undefined ? " (changed)" : m.changed ? " (new)" : "";
      lines.push(`    ${KIND_TITLE[m.kind]} ${visibleLine(m.destination)}${state}: ${clipLine(visibleLine(headlineOf(m.kind, m.after ?? m.before)), 160)}`);
    }
  }
  return lines;
}

/** One monitor's previews as a folded Markdown block: every message in full, before and after where they differ. */
export function notificationMarkdownBlock(p: NotificationPreview): string[] {
  const changed = p.messages.filter((m) => m.changed).length;
  const kinds = [...new Set(p.messages.map((m) => KIND_TITLE[m.kind].split(" ")[0]))].join(", ") || "no destination";
  const lines = [`<details><summary><code>${p.monitor}</code>: ${kinds}${changed > 0 ? ` (${changed} changed)` : ""}</summary>`, ""];
  const sampleLabels = Object.entries(p.sample.labels).map(([k, v]) => `${k}=${v}`).join(", ");
  lines.push(`Sample result: value ${p.sample.value === null ? "none" : p.sample.value}${sampleLabels ? `, series labels ${codeSpan(sampleLabels)}` : ""}, at ${p.sample.at}.`);
  if (p.summaryIsCode) lines.push(...summaryNote(p));
  lines.push("");
  if (p.messages.length === 0) lines.push("This monitor has no service and no channel: it sends nothing when it fires.", "");
  for (const m of p.messages) lines.push(...messageBlock(m));
  lines.push("</details>", "");
  return lines;
}

/** How the summary function's text was made, and why a side shows a reason instead. */
function summaryNote(p: NotificationPreview): string[] {
  if (!p.summaryRan) return ["The summary is a function; it runs only in the runtime, so its text is named, not shown."];
  const lines = ["The summary is a function: the plan ran the compiled code on this sample in a sandbox, and the messages hold what it returned."];
  for (const problem of p.summaryProblems) {
    lines.push("", `${problem.side === "before" ? "Before" : "After"}, no text: ${codeSpan(problem.reason)}; the messages show this reason where the text goes.`);
  }
  return lines;
}

function messageBlock(m: MessagePreview): string[] {
  const state = m.after === undefined ? " — no longer sent" : m.before !== undefined ? " — changed" : m.changed ? " — new" : "";
  const lines = [`**${KIND_TITLE[m.kind]}** to \`${m.destination}\`${state}`, ""];
  if (m.before !== undefined && m.after !== undefined) {
    lines.push("Before:", "", ...codeBlock(m.kind, m.before), "After:", "", ...codeBlock(m.kind, m.after));
  } else {
    lines.push(...codeBlock(m.kind, m.after ?? m.before));
  }
  return lines;
}

/** The message as sent: JSON for the APIs, headers and body for email and the REST request. */
function codeBlock(kind: PreviewKind, message: unknown): string[] {
  if (kind === "pagerdutyIncident") {
    const r = message as IncidentRequest;
    const headers = Object.entries(r.headers).map(([name, value]) => `${headerName(name)}: ${value}`);
    return fenced("http", `${r.method} ${r.url}\n${headers.join("\n")}\n\n${JSON.stringify(r.body, null, 2)}`);
  }
  if (kind === "email") {
    const e = message as { from: string; to: string[]; subject: string; text: string };
    return fenced("text", `From: ${e.from}\nTo: ${e.to.join(", ")}\nSubject: ${e.subject}\n\n${e.text}`);
  }
  return fenced("json", JSON.stringify(message, null, 2));
}

/**
 * A `<pre>` block, HTML-escaped: the text shows exactly as sent, no user text can end it (an HTML
 * block of this kind runs to its closing tag, blank lines included), and it adds no code fence to
 * the comment's diff sections.
 */
function fenced(lang: string, text: string): string[] {
  return [`<pre lang="${lang}">${escapeHtml(visible(text))}</pre>`, ""];
}

/**
 * Escapes for element content (quotes need no escaping there, and JSON stays readable in the raw
 * comment); backticks too: they render the same and can never read as a Markdown fence.
 */
function escapeHtml(text: string): string {
  return text.replace(/[&<>`]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "&#96;" })[c]!);
}

/** `authorization` as HTTP documentation writes it: `Authorization`. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_all, dash: string, c: string) => dash + c.toUpperCase());
}
