import type { CheckSpec, MonitorSpec, Severity } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { alertLinks, alertPageUrl, diagnosticsText, runbookUrl } from "../../render.js";
import { field, jsonBytes, shrinkToFit, wellFormedJson } from "../../fit.js";
import { truncate } from "../../redact.js";
import { truncatedMarker, wellFormed } from "../../../text/truncate.js";
import type { MessageContext } from "../../types.js";

/** The Events API v2 body (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: "trigger" | "acknowledge" | "resolve";
  dedup_key: string;
  client?: string;
  client_url?: string;
  payload?: {
    summary: string;
    source: string;
    severity: "critical" | "error" | "warning" | "info";
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  images?: { src: string; href?: string; alt?: string }[];
}

export const SUMMARY_MAX = 1024;
/** PagerDuty refuses an event whose body is over 512 KB, and a refused trigger is a lost page. */
export const EVENT_MAX_BYTES = 512 * 1024;
/**
 * What we aim for: 500,000 bytes of JSON, under "512 KB" read either way (524,288 bytes, or
 * 512,000 as Alertmanager's maxEventSize reads it) with 12 KB to spare.
 */
export const EVENT_BUDGET_BYTES = 500_000;
/** source, component, group and class are names, not documents; PagerDuty documents no cap, so summary's is used. */
const NAME_MAX = 1024;

/** Watchkeeper severities map one to one onto PagerDuty's; spelled out so a new one fails to compile. */
export function pagerDutySeverity(severity: Severity): "critical" | "error" | "warning" | "info" {
  switch (severity) {
    case "critical":
      return "critical";
    case "error":
      return "error";
    case "warning":
      return "warning";
    case "info":
      return "info";
  }
}

/** The affected system as PagerDuty wants it (a host name where one is known). */
export function eventSource(intent: NotificationIntent, monitor: MonitorSpec | null): string {
  const fromLabels = intent.labels["instance"] ?? intent.labels["host"] ?? intent.labels["job"];
  if (fromLabels) return fromLabels;
  return monitor ? checkTarget(monitor.check) ?? monitor.id : intent.monitorId;
}

function checkTarget(check: CheckSpec): string | null {
  switch (check.kind) {
    case "http":
    case "httpWindow":
      return hostOf(check.url);
    case "prometheus":
      return hostOf(check.server);
    case "dns":
      return check.name;
    case "tcp":
      return `${check.host}:${check.port}`;
    case "heartbeat":
    case "webhook":
    case "script":
    case "manual":
      return null;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url.replace(/\{\{\w+\}\}/g, "x")).host;
  } catch {
    return null;
  }
}

/**
 * A URL as PagerDuty's schema wants it (`format: url`, api-schema reference/events-v2/openapiv3.json
 * at 91a06fb3c64b0ab2b2bd6c485d12b327dfb55c18: `client_url`, `links[].href`, `images[].src|href`):
 * the parsed, normalized form (spaces and `<>"` percent-encoded, host in ASCII), or null when it
 * does not parse as an http(s) URL. A malformed link would cost the whole event (400), so it is
 * left out instead; its text still reaches people in custom_details or the alert page.
 */
export function eventUrl(raw: string, schemes: readonly string[] = ["https:", "http:"]): string | null {
  try {
    const url = new URL(wellFormed(raw));
    return schemes.includes(url.protocol) && url.host !== "" ? url.href : null;
  } catch {
    return null;
  }
}

/** A short text beside a link or an image (`links[].text`, `images[].alt`), never a document. */
const LINK_TEXT_MAX = 1024;

/** Images from the check's details: the developer docs require `src` to be served over HTTPS. */
function images(intent: NotificationIntent): { src: string; href?: string; alt?: string }[] {
  const raw = intent.details["images"];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((image: unknown) => {
    const img = image as { src?: unknown; href?: unknown; alt?: unknown };
    const src = typeof img?.src === "string" ? eventUrl(img.src, ["https:"]) : null;
    if (!src) return [];
    const href = typeof img.href === "string" ? eventUrl(img.href) : null;
    return [{ src, ...(href ? { href } : {}), ...(typeof img.alt === "string" ? { alt: truncate(img.alt, LINK_TEXT_MAX) } : {}) }];
  });
}

/** A text PagerDuty requires (summary, source): never blank, which its answer calls "missing or blank". */
function nonBlank(text: string | null | undefined, fallback: string): string {
  return text && text.trim() !== "" ? text : fallback;
}

/** Builds the event for an intent; a reminder re-sends the trigger (PagerDuty appends it to the open incident). */
export function pagerDutyEvent(intent: NotificationIntent, message: MessageContext, routingKey: string): PagerDutyEvent {
  const action = intent.type === "resolve" ? "resolve" : intent.type === "acknowledge" ? "acknowledge" : "trigger";
  const event: PagerDutyEvent = { routing_key: routingKey, event_action: action, dedup_key: intent.dedupKey, client: "Watchkeeper" };
  const rawPage = alertPageUrl(intent, message);
  const page = rawPage ? eventUrl(rawPage) : null;
  if (page) event.client_url = page;
  if (action !== "trigger") return event;

  const monitor = message.monitor;
  const { diagnostics: _diagnostics, images: _images, ...checkDetails } = intent.details;
  event.payload = {
    summary: truncate(nonBlank(intent.summary, intent.monitorId), SUMMARY_MAX),
    source: truncate(nonBlank(eventSource(intent, monitor), intent.monitorId), NAME_MAX),
    severity: pagerDutySeverity(intent.severity),
    timestamp: new Date(intent.at).toISOString(),
    component: intent.monitorId,
    ...(monitor?.service ? { group: monitor.service } : monitor?.owner ? { group: truncate(monitor.owner, NAME_MAX) } : {}),
    ...(monitor ? { class: monitor.check.kind } : {}),
    // Alert data as written, every string made well-formed (a lone surrogate must not reach PagerDuty).
    custom_details: wellFormedJson({
      monitor: monitor?.name ?? intent.monitorId,
      value: intent.value,
      labels: intent.labels,
      firing_since: intent.firedAt === null ? null : new Date(intent.firedAt).toISOString(),
      check_result: checkDetails,
      ...(monitor?.runbook && runbookUrl(monitor.runbook) === null ? { runbook: monitor.runbook } : {}),
      ...(diagnosticsText(intent) ? { diagnostics: diagnosticsText(intent) } : {}),
    }),
  };
  const links = alertLinks(intent, message).flatMap((link) => {
    const href = eventUrl(link.href);
    return href ? [{ href, text: link.text }] : [];
  });
  if (links.length > 0) event.links = links;
  const imgs = images(intent);
  if (imgs.length > 0) event.images = imgs;
  return fitEvent(event);
}

/**
 * Fits the whole event in EVENT_BUDGET_BYTES of JSON (Alertmanager caps the whole event the same
 * way), keeping the text the on-call reads: images go first (from the last, as many as needed, and
 * custom_details says how many), then the details are cut (diagnostics text, then the raw check
 * result, then labels and the monitor's name), then links. Summary, severity, source and dedup key
 * always stay. Links go after the details are cut, not before: they are two short URLs (runbook,
 * alert page), so dropping them first would cost the runbook whenever diagnostics overflow and
 * still leave the diagnostics to cut.
 */
export function fitEvent(event: PagerDutyEvent, budget = EVENT_BUDGET_BYTES): PagerDutyEvent {
  if (jsonBytes(event) <= budget || !event.payload) return event;
  const details = (event.payload.custom_details ??= {});
  const images = event.images ?? [];
  let size = jsonBytes(event);
  let dropped = 0;
  while (images.length > 0 && size > budget) {
    // An image and the comma before it; the count below is a few bytes the next steps account for.
    size -= jsonBytes(images.pop()) + (images.length > 0 ? 1 : 0);
    dropped++;
  }
  if (dropped > 0) {
    if (images.length === 0) delete event.images;
    details["images_left_out"] = dropped;
    if (jsonBytes(event) <= budget) return event;
  }
  shrinkToFit(event, budget, [field(details, "diagnostics"), field(details, "check_result"), field(details, "labels"), field(details, "monitor")]);
  if (jsonBytes(event) <= budget) return event;
  delete event.links;
  if (jsonBytes(event) > budget) {
    event.payload.custom_details = { truncated: truncatedMarker(JSON.stringify(details).length) };
  }
  return event;
}
