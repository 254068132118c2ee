import { sendHttp, type HttpAnswer } from "../../http-send.js";
import { truncate } from "../../redact.js";
import type { DeliveryFailure, SendResult } from "../../types.js";

/** PagerDuty's ids are a few characters; anything else in an answer is not an id to store or put in a URL. */
export const INCIDENT_ID_MAX = 255;

/** Whether a value from a PagerDuty answer can serve as an incident id (a string of 1 to INCIDENT_ID_MAX characters). */
export function isIncidentId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= INCIDENT_ID_MAX;
}

/** The statuses of an incident that is still open; only these can be acknowledged or resolved. */
const OPEN_STATUSES = ["triggered", "acknowledged"] as const;

/** What looking up the open incident for an alert found. */
export type OpenIncidentLookup =
  | { kind: "open"; id: string; status: number; answer: string }
  /** No open incident with this key on the service: resolved already, or never opened. */
  | { kind: "none"; status: number; answer: string }
  | { kind: "failed"; failure: DeliveryFailure; status: number | null; answer: string };

/** Where and as whom to look: the REST base URL, the channel's headers, the PagerDuty service. */
export interface LookupTarget {
  base: string;
  headers: Record<string, string>;
  serviceId: string;
}

/**
 * The `GET /incidents` (listIncidents) URL for the open incident with this incident key on this
 * service. `date_range=all` because the list otherwise covers only the last month, and an incident
 * can stay open longer than that.
 */
export function openIncidentUrl(base: string, serviceId: string, incidentKey: string): string {
  const query = new URLSearchParams({ incident_key: incidentKey, "service_ids[]": serviceId, date_range: "all" });
  for (const status of OPEN_STATUSES) query.append("statuses[]", status);
  return `${base}/incidents?${query.toString()}`;
}

/**
 * Finds the open incident PagerDuty holds for an alert, by its incident key, when its id is not
 * known (the create's answer was lost or held no id). PagerDuty keeps at most one open incident per
 * key on a service, so the first open one listed is this alert's. Network errors, timeouts, 429
 * and 5xx are retryable; an answer that cannot be read is retryable too (a broken answer says
 * nothing about the incident); other 4xx are not, as for every other request of the channel.
 */
export async function findOpenIncident(target: LookupTarget, incidentKey: string, signal: AbortSignal, now: number): Promise<OpenIncidentLookup> {
  let listed: string | null | undefined;
  const result = await sendHttp({ method: "GET", url: openIncidentUrl(target.base, target.serviceId, incidentKey), headers: target.headers }, signal, now, (answer) => {
    if (answer.status !== 200) return null;
    listed = openIncidentId(answer);
    return { ok: true, status: answer.status, answer: truncate(answer.body, 2000) };
  });
  if (!result.ok) return { kind: "failed", failure: result.failure, status: result.status, answer: result.answer };
  if (listed === undefined) {
    return { kind: "failed", failure: { retryable: true, reason: "PagerDuty's incident list could not be read" }, status: result.status, answer: result.answer };
  }
  return listed === null ? { kind: "none", status: result.status ?? 200, answer: result.answer } : { kind: "open", id: listed, status: result.status ?? 200, answer: result.answer };
}

/** The id of the first open incident in a list answer; null when none is open; undefined when the answer is not a list. */
function openIncidentId(answer: HttpAnswer): string | null | undefined {
  let incidents: unknown;
  try {
    incidents = (JSON.parse(answer.body) as { incidents?: unknown } | null)?.incidents;
  } catch {
    return undefined;
  }
  if (!Array.isArray(incidents)) return undefined;
  for (const incident of incidents as unknown[]) {
    if (!incident || typeof incident !== "object") continue;
    const { id, status } = incident as { id?: unknown; status?: unknown };
    if (isIncidentId(id) && (OPEN_STATUSES as readonly unknown[]).includes(status)) return id;
  }
  return null;
}

/** A lookup's failure as the result of the attempt that needed it. */
export function lookupFailed(lookup: Extract<OpenIncidentLookup, { kind: "failed" }>): SendResult {
  return { ok: false, failure: { ...lookup.failure, reason: `finding the open PagerDuty incident: ${lookup.failure.reason}` }, status: lookup.status, answer: lookup.answer };
}
