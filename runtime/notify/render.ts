import type { NotificationIntent } from "../alerts/intent.js";
import { withoutDirectionalControls } from "../text/bidi.js";
import type { MessageContext } from "./types.js";

/** The headline a person reads first, by intent type. */
export function headline(intent: NotificationIntent): string {
  switch (intent.type) {
    case "trigger":
      return intent.details["emergency"] === true ? `[EMERGENCY] ${intent.summary}` : `[FIRING] ${intent.summary}`;
    case "remind":
      return `[STILL FIRING] ${intent.summary}`;
    case "resolve":
      return `[RESOLVED] ${intent.summary}`;
    case "acknowledge":
      return `[ACKNOWLEDGED${intent.acknowledgedBy ? ` by ${intent.acknowledgedBy}` : ""}] ${intent.summary}`;
  }
}

/** The diagnostics text attached to an alert (`details.diagnostics`), if any. */
export function diagnosticsText(intent: NotificationIntent): string | null {
  const text = intent.details["diagnostics"];
  return typeof text === "string" && text.trim() !== "" ? text : null;
}

/**
 * The runbook as a link target, or null when it is not an absolute http(s) URL: vendors refuse a
 * whole event over a malformed link (PagerDuty's `links[].href` must be a URL), and a runbook
 * written as prose must not cost the page. Prose runbooks still reach people as text.
 */
export function runbookUrl(runbook: string | null | undefined): string | null {
  if (!runbook) return null;
  try {
    const url = new URL(runbook);
    return url.protocol === "https:" || url.protocol === "http:" ? runbook : null;
  } catch {
    return null;
  }
}

/**
 * The alert's own page on the runtime (its timeline, notifications and postmortem draft), or null
 * when the project sets no `publicUrl`. The page's id is the dedup key, whatever it holds.
 */
export function alertPageUrl(intent: Pick<NotificationIntent, "dedupKey">, message: MessageContext): string | null {
  const base = message.manifest.settings.publicUrl;
  return base ? `${base.replace(/\/+$/, "")}/alerts/${encodeURIComponent(intent.dedupKey)}` : null;
}

/** Runbook and alert page links for an alert. */
export function alertLinks(intent: Pick<NotificationIntent, "dedupKey">, message: MessageContext): { href: string; text: string }[] {
  const links: { href: string; text: string }[] = [];
  const runbook = runbookUrl(message.monitor?.runbook);
  if (runbook) links.push({ href: runbook, text: "Runbook" });
  const page = alertPageUrl(intent, message);
  if (page) links.push({ href: page, text: "Alert page" });
  return links;
}

/** Plain-text body shared by email and chat fallbacks. */
export function plainText(intent: NotificationIntent, message: MessageContext): string {
  const lines = [headline(intent), ""];
  lines.push(`Monitor: ${message.monitor?.name ?? intent.monitorId} (${intent.monitorId})`);
  lines.push(`Severity: ${intent.severity}`);
  if (intent.value !== null) lines.push(`Value: ${intent.value}`);
  for (const [name, value] of Object.entries(intent.labels)) lines.push(`Label ${name}: ${value}`);
  lines.push(`At: ${new Date(intent.at).toISOString()}`);
  if (intent.firedAt !== null && intent.type !== "trigger") lines.push(`Firing since: ${new Date(intent.firedAt).toISOString()}`);
  if (intent.acknowledgedBy) lines.push(`Acknowledged by: ${intent.acknowledgedBy}`);
  const reporter = intent.details["message"];
  if (intent.details["emergency"] === true && typeof reporter === "string") lines.push("", "Reported:", reporter);
  for (const link of alertLinks(intent, message)) lines.push(`${link.text}: ${link.href}`);
  const runbook = message.monitor?.runbook;
  if (runbook && runbookUrl(runbook) === null) lines.push(`Runbook: ${runbook}`);
  const diagnostics = diagnosticsText(intent);
  if (diagnostics) lines.push("", "Diagnostics:", diagnostics);
  return lines.join("\n");
}

export function escapeHtml(text: string): string {
  return withoutDirectionalControls(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
