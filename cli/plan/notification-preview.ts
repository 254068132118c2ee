import type { ChannelSpec, Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { renderSummary } from "../../runtime/evaluate/summary.js";
import { emailSubject, emailText } from "../../runtime/notify/channels/email/email-notifier.js";
import { opsgenieCreateBody } from "../../runtime/notify/channels/opsgenie/opsgenie-alert.js";
import { pagerDutyEvent } from "../../runtime/notify/channels/pagerduty/pagerduty-event.js";
import { DEFAULT_PAGERDUTY_API_URL, incidentBody, incidentHeaders } from "../../runtime/notify/channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { slackMessage } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { webhookBody } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import { DEFAULT_HEADERS } from "../../runtime/notify/http-send.js";
import type { MessageContext } from "../../runtime/notify/types.js";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { summaryKey, type SummaryOutcome, type SummaryTexts } from "./summary-protocol.js";
import type { MonitorChange } from "./types.js";

/**
 * What `wk plan` shows for every added or changed monitor: the messages its trigger would send to
 * each destination, built by the runtime's own payload builders from one sample result. Only the
 * manifest is read, never a secret: where a vendor request carries one (a routing key, an API
 * token), the preview carries a placeholder naming the secret.
 */

/**
 * The vendor message kinds a preview shows; `pagerduty` is Events API v2 (a service or a channel),
 * `pagerdutyIncident` the REST API's `POST /incidents` request (an {@link IncidentRequest}).
 */
export type PreviewKind = "pagerduty" | "pagerdutyIncident" | "slack" | "email" | "opsgenie" | "webhook";

/** A REST request as the runtime sends it: the headers with the API token as a placeholder. */
export interface IncidentRequest {
  method: "POST";
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface MessagePreview {
  /** `service:<id>` or `channel:<id>`, as the runtime's delivery rows name destinations. */
  destination: string;
  kind: PreviewKind;
  /** The message in the base; absent for a new monitor or a destination it did not have. */
  before?: unknown;
  /** The message in the target; absent for a destination the monitor no longer has. */
  after?: unknown;
  /** Whether before and after differ (always true when one side is absent). */
  changed: boolean;
}

export interface NotificationPreview {
  monitor: string;
  /** The sample the messages were rendered from: the same on both sides, so only the monitor's change shows. */
  sample: { value: number | null; labels: Record<string, string>; at: string };
  /** True when the summary is a function (on either side). */
  summaryIsCode: boolean;
  /**
   * True when the plan ran the summary function on the sample (in the sandbox), so the messages
   * hold its text; false when it was named by a placeholder instead.
   */
  summaryRan: boolean;
  /** Sides whose summary function gave no text, and why (one line); their messages hold the reason where the text goes. */
  summaryProblems: { side: "before" | "after"; reason: string }[];
  messages: MessagePreview[];
}

/**
 * A fixed instant, so that the same change previews the same bytes in every run (the comment is
 * updated in place, and a moving timestamp would show as a change on every push).
 */
export const SAMPLE_AT = Date.UTC(2026, 0, 5, 3, 12, 0);

/** What the plan shows for a summary function it did not run (a plan built without evaluating them). */
export const CODE_SUMMARY_PLACEHOLDER = "(summary function: its text is computed when the alert fires)";

/** A monitor the plan previews: as it is in the target, and as it was in the base (null when new). */
export interface PreviewPair {
  change: MonitorChange;
  after: MonitorSpec;
  before: MonitorSpec | null;
}

/** The monitors a plan adds, changes or moves, in the plan's order, with their base side. */
export function previewPairs(base: Manifest | null, target: Manifest, monitors: readonly MonitorChange[]): PreviewPair[] {
  const out: PreviewPair[] = [];
  for (const change of monitors) {
    if (change.action === "remove") continue;
    const after = target.monitors.find((m) => m.id === change.id);
    if (!after) continue;
    const beforeId = change.action === "move" ? (change.from ?? change.id) : change.id;
    const before = change.action === "add" || !base ? null : (base.monitors.find((m) => m.id === beforeId) ?? null);
    out.push({ change, after, before });
  }
  return out;
}

/**
 * Previews for the monitors a plan adds, changes or moves, in the plan's order. `summaries` holds
 * what each summary function returned on the sample (summary-preview.ts); without it a summary
 * function is named by a placeholder.
 */
export function notificationPreviews(base: Manifest | null, target: Manifest, monitors: readonly MonitorChange[], summaries?: SummaryTexts): NotificationPreview[] {
  const out: NotificationPreview[] = [];
  for (const { change, after, before } of previewPairs(base, target, monitors)) {
    const sample = sampleResult(after, before);
    const afterSummary = summaries?.get(summaryKey("after", after.id));
    const beforeSummary = summaries?.get(summaryKey("before", after.id));
    const afterMessages = messagesOf(target, after, sample, afterSummary);
    const beforeMessages = before && base ? messagesOf(base, { ...before, id: after.id }, sample, beforeSummary) : new Map<string, Rendered>();
    const messages: MessagePreview[] = [];
    for (const destination of [...new Set([...afterMessages.keys(), ...beforeMessages.keys()])]) {
      const a = afterMessages.get(destination);
      const b = beforeMessages.get(destination);
      const changed = a === undefined || b === undefined || a.kind !== b.kind || canonicalJson(a.message, 0) !== canonicalJson(b.message, 0);
      messages.push({
        destination,
        kind: (a ?? b)!.kind,
        ...(b && changed ? { before: b.message } : {}),
        ...(a ? { after: a.message } : {}),
        changed,
      });
    }
    out.push({
      monitor: change.id,
      sample: { value: sample.value, labels: sample.labels, at: new Date(SAMPLE_AT).toISOString() },
      summaryIsCode: after.code.summary || (before?.code.summary ?? false),
      summaryRan: [afterSummary, beforeSummary].some((o) => o !== undefined),
      summaryProblems: [
        ...(beforeSummary && !beforeSummary.ok ? [{ side: "before" as const, reason: beforeSummary.reason }] : []),
        ...(afterSummary && !afterSummary.ok ? [{ side: "after" as const, reason: afterSummary.reason }] : []),
      ],
      messages,
    });
  }
  return out;
}

/**
 * One result that fires the monitor: a value on the failing side of its threshold (or 1), and a
 * value for every label its summary template names, so the rendered text shows where each goes.
 */
export function sampleResult(monitor: MonitorSpec, before: MonitorSpec | null): CheckResult {
  const labels: Record<string, string> = {};
  for (const m of [monitor, before]) {
    if (!m) continue;
    for (const match of m.summary.matchAll(/\{\{\s*labels\.([\w.-]+)\s*\}\}/g)) {
      const name = match[1]!;
      if (!(name in m.labels)) labels[name] = `<${name}>`;
    }
  }
  const value = sampleValue(monitor);
  return { ok: false, value, message: "sample result for the plan's notification preview", labels, details: {}, durationMs: 0 };
}

function sampleValue(monitor: MonitorSpec): number | null {
  const t = monitor.threshold;
  if (!t) return monitor.check.kind === "heartbeat" || monitor.check.kind === "manual" || monitor.check.kind === "webhook" ? null : 1;
  switch (t.op) {
    case ">":
      return t.value > 0 ? t.value * 2 : t.value + 1;
    case ">=":
    case "==":
      return t.value;
    case "<":
      return t.value > 0 ? t.value / 2 : t.value - 1;
    case "<=":
      return t.value;
    case "!=":
      return t.value + 1;
  }
}

interface Rendered {
  kind: PreviewKind;
  message: unknown;
}

/** Every trigger message of one monitor in one manifest, by destination id (the route stage's fan-out). */
function messagesOf(manifest: Manifest, monitor: MonitorSpec, sample: CheckResult, summary: SummaryOutcome | undefined): Map<string, Rendered> {
  const intent = triggerIntent(monitor, sample, summary);
  const message: MessageContext = { manifest, monitor };
  const out = new Map<string, Rendered>();
  if (monitor.service !== null) {
    const service = manifest.services.find((s) => s.id === monitor.service);
    // A service without a routing-key secret uses the key `wk deploy` wrote for it (routing-keys.json).
    const key = service?.routingKey ? placeholder(service.routingKey.secret) : `<routing key of service ${monitor.service}, from wk deploy>`;
    out.set(`service:${monitor.service}`, { kind: "pagerduty", message: pagerDutyEvent(intent, message, key) });
  }
  for (const id of monitor.channels) {
    const channel = manifest.channels.find((c) => c.id === id);
    if (!channel) continue;
    const rendered = channelMessage(channel, intent, message);
    if (rendered) out.set(`channel:${id}`, rendered);
  }
  return out;
}

function channelMessage(channel: ChannelSpec, intent: NotificationIntent, message: MessageContext): Rendered | null {
  switch (channel.kind) {
    case "pagerduty":
      return { kind: "pagerduty", message: pagerDutyEvent(intent, message, placeholder(channel.routingKey.secret)) };
    case "slack":
      return { kind: "slack", message: slackMessage(intent, message, channel.channel) };
    case "email":
      return { kind: "email", message: { from: channel.from, to: channel.to, subject: emailSubject(intent), text: emailText(intent, message) } };
    case "opsgenie":
      return { kind: "opsgenie", message: opsgenieCreateBody(intent, message, channel) };
    case "webhook":
      return { kind: "webhook", message: webhookBody(intent, message) };
    case "pagerdutyIncident": {
      // A manifest service's PagerDuty ID exists only once `wk deploy` has created it; a literal ID is sent as written.
      const known = message.manifest.services.some((s) => s.id === channel.service);
      const serviceId = known ? `<PagerDuty ID of service ${channel.service}, known after wk deploy>` : channel.service;
      const request: IncidentRequest = {
        method: "POST",
        url: `${(channel.baseUrl ?? DEFAULT_PAGERDUTY_API_URL).replace(/\/+$/, "")}/incidents`,
        headers: { ...DEFAULT_HEADERS, ...incidentHeaders(channel, placeholder(channel.token.secret)) },
        body: incidentBody(intent, message, channel, serviceId),
      };
      return { kind: "pagerdutyIncident", message: request };
    }
  }
}

/**
 * The summary function as the runtime would call it, standing in for the bundle: it returns what
 * the real function returned on this sample, so the text then takes the runtime's own path
 * (renderSummary's spacing and cut, then each vendor's budget and escaping).
 */
function summaryCode(monitor: MonitorSpec, summary: SummaryOutcome | undefined): MonitorCode | undefined {
  if (!monitor.code.summary) return undefined;
  if (!summary) return { summary: () => CODE_SUMMARY_PLACEHOLDER };
  return { summary: () => (summary.ok ? summary.text : `(summary not previewed: ${summary.reason})`) };
}

/** The intent the state machine would write for the sample's first firing. */
function triggerIntent(monitor: MonitorSpec, sample: CheckResult, summary: SummaryOutcome | undefined): NotificationIntent {
  const code = summaryCode(monitor, summary);
  const labels = { ...sample.labels, ...monitor.labels };
  const dedupKey = alertKey(monitor.id, labels);
  return {
    id: `${dedupKey}:1`,
    type: "trigger",
    monitorId: monitor.id,
    dedupKey,
    labels,
    severity: monitor.severity,
    summary: renderSummary(monitor, sample, code),
    value: sample.value,
    details: {
      ...sample.details,
      message: sample.message,
      durationMs: sample.durationMs,
      // Diagnostics run when the alert fires; their text rides on the trigger (runtime/evaluate/tick.ts).
      ...(monitor.diagnostics.length > 0 ? { diagnostics: `(output of ${monitor.diagnostics.map((d) => d.kind).join(", ")} diagnostics, run when the alert fires)` } : {}),
    },
    at: SAMPLE_AT,
    firedAt: SAMPLE_AT,
  };
}

/** Stands where a secret goes: names the secret, never holds it. */
export function placeholder(secretName: string): string {
  return `<secret ${secretName}>`;
}
