import type { Manifest } from "../../sdk/manifest/schema.js";
import { withoutDirectionalControls } from "../text/bidi.js";
import { renderSchedule } from "../../sdk/oncall/render.js";
import type { Silence, SilenceRecord } from "../notify/silences.js";
import { silenceMatches } from "../notify/silences.js";
import { redactUrlsInText } from "../redact-url.js";
import { EVENT_WORDS, OUTCOME_WORDS, type AlertRecord } from "./alert-record.js";
import { durationWords } from "./describe.js";
import { span } from "./layout.js";

/**
 * Markdown a team pastes into its postmortem document: written from the runtime's own record
 * (transitions, delivery attempts, the manifest's schedules at the time it fired), so the facts
 * are right and the judgement is left to people. User text is escaped for Markdown: a summary
 * cannot open a link, a table cell or raw HTML in the document it is pasted into.
 */
export function renderPostmortem(r: AlertRecord, manifest: Manifest, silences: Array<Silence | SilenceRecord>, now: number, publicUrl: string | null): string {
  const a = r.alert;
  const name = r.monitor?.name ?? r.monitor?.id ?? r.alert?.monitorId ?? r.dedupKey;
  const pick = (kind: string) => r.timeline.find((e) => e.kind === "transition" && e.event === kind)?.at ?? null;
  const started = pick("pending") ?? a?.activeAt ?? pick("firing") ?? a?.firedAt ?? null;
  const fired = pick("firing") ?? a?.firedAt ?? null;
  const resolvedEvents = r.timeline.filter((e) => e.kind === "transition" && (e.event === "resolved" || e.event === "cleared"));
  const resolved = resolvedEvents.length > 0 ? resolvedEvents[resolvedEvents.length - 1]!.at : a?.state === "inactive" ? a.resolvedAt : null;
  const acks = r.timeline.filter((e): e is Extract<typeof e, { kind: "transition" }> => e.kind === "transition" && e.event === "acknowledged");
  if (acks.length === 0 && a?.acknowledgedAt) acks.push({ kind: "transition", at: a.acknowledgedAt, event: "acknowledged", by: a.acknowledgedBy, summary: a.summary });
  const end = resolved ?? now;
  const lines: string[] = [];
  const service = r.monitor?.service ? manifest.services.find((s) => s.id === r.monitor!.service) ?? null : null;

  lines.push(`# Postmortem draft: ${md(name)}`, "");
  lines.push(`_Drafted by Watchkeeper from its own record on ${iso(now)}. Everything below is a starting point: check it, then add what only people know._`, "");
  lines.push("## Summary", "");
  lines.push(
    `${md(name)} (\`${code(r.monitor?.id ?? a?.monitorId ?? "unknown")}\`, severity ${r.monitor?.severity ?? "unknown"}${service ? `, service ${md(service.name)}` : ""}) ` +
      (fired ? `fired at ${iso(fired)}` : "did not fire") +
      (resolved ? ` and resolved at ${iso(resolved)}` : a?.state === "firing" ? " and is still firing" : "") +
      ".",
  );
  if (a?.summary) lines.push("", `Last summary: ${md(redactUrlsInText(a.summary))}`);
  if (publicUrl) lines.push("", `Alert page: ${publicUrl.replace(/\/+$/, "")}/alerts/${encodeURIComponent(r.dedupKey)}`);
  lines.push("", "## Impact window", "");
  lines.push(`- First failing check: ${started ? iso(started) : "unknown"}`);
  lines.push(`- Fired (paged): ${fired ? iso(fired) : "never"}${started && fired && fired > started ? ` (${span(fired - started)} after the first failure${r.monitor && r.monitor.for !== "0s" ? `, \`for: ${code(r.monitor.for)}\`` : ""})` : ""}`);
  lines.push(`- Acknowledged: ${acks.length > 0 ? `${iso(acks[0]!.at)} by ${md(acks[0]!.by ?? "someone")}${fired ? ` (${span(acks[0]!.at - fired)} after it fired)` : ""}` : "not acknowledged"}`);
  lines.push(`- Resolved: ${resolved ? iso(resolved) : "not yet"}`);
  if (started) lines.push(`- Duration: ${span(end - started)}${resolved ? "" : " so far"}`);

  lines.push("", "## Timeline (UTC)", "", "| Time | What happened |", "| --- | --- |");
  for (const e of r.timeline) {
    if (e.kind === "transition") lines.push(`| ${iso(e.at)} | ${cell(`${EVENT_WORDS[e.event]}${e.by ? ` by ${e.by}` : ""}${e.event === "firing" ? `: ${redactUrlsInText(e.summary)}` : ""}`)} |`);
    else lines.push(`| ${iso(e.at)} | ${cell(`${e.attempt.type} to ${e.attempt.destination}: ${OUTCOME_WORDS[e.attempt.outcome]} (attempt ${e.attempt.attempt}${e.attempt.vendorStatus !== null ? `, HTTP ${e.attempt.vendorStatus}` : ""})`)} |`);
  }
  if (r.timeline.length === 0) lines.push("| — | nothing recorded |");

  lines.push("", "## Who was on call", "");
  lines.push(...onCall(manifest, service, fired ?? started ?? now));
  lines.push("", "## Who acknowledged", "");
  lines.push(...(acks.length > 0 ? acks.map((e) => `- ${mdLead(e.by ?? "someone")} at ${iso(e.at)}`) : ["- Nobody acknowledged the alert."]));

  lines.push("", "## Notifications sent", "");
  if (r.attempts.length === 0) lines.push("No notification attempts are recorded.");
  else {
    lines.push("| Time | Type | Destination | Outcome | Vendor's answer |", "| --- | --- | --- | --- | --- |");
    for (const t of r.attempts) {
      lines.push(`| ${iso(t.at)} | ${cell(t.type)} | ${cell(t.destination)} | ${cell(`${OUTCOME_WORDS[t.outcome]}, attempt ${t.attempt}`)} | ${cell(`${t.vendorStatus !== null ? `HTTP ${t.vendorStatus} ` : ""}${redactUrlsInText(t.detail ?? "")}`.trim() || "—")} |`);
    }
  }

  lines.push("", "## Silences and maintenance in force", "");
  const monitor = r.monitor;
  const inForce = started && monitor ? silences.filter((s) => s.startsAt < end && s.endsAt > started && silenceMatches(s.matchers, { monitorId: monitor.id, serviceId: monitor.service, labels: { ...(a?.labels ?? {}), ...monitor.labels } })) : [];
  lines.push(
    ...(inForce.length > 0
      ? inForce.map((s) => `- ${s.kind === "maintenance" ? "Maintenance window" : "Silence"} \`${code(s.id)}\` from ${iso(s.startsAt)} to ${iso(s.endsAt)} by ${md(s.createdBy)}: ${md(s.comment || "(no comment)")}${expiry(s)}`)
      : ["- None that matched this alert."]),
  );

  lines.push("", "## Open questions", "");
  lines.push("- What changed shortly before the first failing check?");
  if (started && fired && fired > started) lines.push(`- Detection took ${span(fired - started)}: is that the right \`for\` and threshold for this monitor?`);
  if (fired && acks.length > 0) lines.push(`- The page was acknowledged after ${span(acks[0]!.at - fired)}: did the escalation policy reach the right person quickly enough?`);
  if (fired && acks.length === 0) lines.push("- Nobody acknowledged: did the page reach anyone?");
  if (r.attempts.some((t) => t.outcome !== "sent")) lines.push("- Some notification attempts failed or were suppressed: why?");
  lines.push("- What did customers see, and for how long?");
  lines.push("- What would have caught this earlier, or prevented it?");
  if (r.diagnostics) lines.push("", "## Diagnostics at the time it fired", "", "```text", redactUrlsInText(r.diagnostics).replace(/```/g, "``\u200b`"), "```");
  return lines.join("\n") + "\n";
}

/** How a recorded silence ended early: who expired it, and when it was made. */
function expiry(s: Silence | SilenceRecord): string {
  if (!("createdAt" in s)) return "";
  const made = `; created ${iso(s.createdAt)}, matching ${md(matchers(s))}`;
  return s.expiredAt !== null ? `${made}; expired early at ${iso(s.expiredAt)} by ${md(s.expiredBy ?? "someone")}` : made;
}

function matchers(s: Silence): string {
  const m = s.matchers;
  const parts = [...(m.monitors.length ? [`monitors ${m.monitors.join(", ")}`] : []), ...(m.services.length ? [`services ${m.services.join(", ")}`] : []), ...Object.entries(m.labels).map(([k, v]) => `${k}=${v}`)];
  return parts.join("; ") || "everything";
}

/** The first escalation step's people at `at`: schedules rendered from the manifest, users as named. */
function onCall(manifest: Manifest, service: Manifest["services"][number] | null, at: number): string[] {
  if (!service) return ["- This monitor pages through no service: nobody was on call for it (its channels were notified)."];
  const policy = manifest.escalationPolicies.find((p) => p.id === service.escalationPolicy);
  if (!policy) return [`- Service ${md(service.name)} names escalation policy \`${code(service.escalationPolicy)}\`, which the manifest does not hold.`];
  const out = [`Service ${md(service.name)}, escalation policy ${md(policy.name)}, at ${iso(at)}:`, ""];
  policy.rules.forEach((rule, i) => {
    const who = rule.targets.map((t) => {
      if (t.type === "user") return person(manifest, t.id);
      const schedule = manifest.schedules.find((s) => s.id === t.id);
      if (!schedule) return `schedule \`${code(t.id)}\` (not in the manifest)`;
      const shift = renderSchedule(schedule, at, at + 1)[0];
      return shift ? `${person(manifest, shift.user)} (schedule ${md(schedule.name)})` : `nobody (schedule ${md(schedule.name)} had a gap)`;
    });
    out.push(`- Step ${i + 1}${i === 0 ? "" : ` (after ${durationWords(rule.escalationDelay)})`}: ${who.join(", ")}`);
  });
  return out;
}

function person(manifest: Manifest, id: string): string {
  const u = manifest.users.find((x) => x.id === id);
  return u ? `${md(u.name)} (${md(u.email)})` : `\`${code(id)}\``;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/**
 * Text with Markdown's active characters escaped and HTML defused, on one line: CommonMark ends a
 * line at CR as at LF, so a lone CR would start a block (a list, a setext heading, the end of a
 * table row) in the document the draft is pasted into.
 */
export function md(text: string): string {
  return oneLine(withoutDirectionalControls(text))
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * `md` for text that starts a block (a list item's text): there, leading blanks would make an
 * indented code block, and a leading `1.`, `2)` or `-` a list inside the item, so a name such as
 * "1. Nobody acknowledged" would read as the draft's own line. Blanks go, the marker is escaped.
 */
function mdLead(text: string): string {
  return md(text)
    .trimStart()
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, "$1\\$2")
    .replace(/^([-=])/, "\\$1");
}

/** Line breaks (CRLF, LF or a lone CR), with the blanks around them, as one space (split, not a regex that backtracks on long blanks). */
function oneLine(text: string): string {
  const lines = text.split(/\r\n?|\n/);
  if (lines.length === 1) return text;
  return lines.map((line, i) => (i === 0 ? line.trimEnd() : i === lines.length - 1 ? line.trimStart() : line.trim())).filter((line) => line !== "").join(" ");
}

/** Text in a table cell: escaped, on one line. */
function cell(text: string): string {
  return md(text);
}

/** Text inside backticks: no backtick can close it early. */
function code(text: string): string {
  return oneLine(withoutDirectionalControls(text)).replace(/`/g, "'");
}
