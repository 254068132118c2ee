import { createHash } from "node:crypto";
import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { isMarkupPage, sendHttp, type HttpAnswer } from "../../http-send.js";
import { plainText } from "../../render.js";
import { truncate, truncateMarked } from "../../redact.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import { findOpenIncident, isIncidentId, lookupFailed } from "./open-incident-lookup.js";

type IncidentChannel = Extract<ChannelSpec, { kind: "pagerdutyIncident" }>;

export const DEFAULT_PAGERDUTY_API_URL = "https://api.pagerduty.com";
/** PagerDuty caps an incident title at 255 characters. */
export const TITLE_MAX = 255;
/** The incident body's details; PagerDuty documents no cap, so the email body's is used. */
export const DETAILS_MAX = 64 * 1024;

/** The `POST /incidents` body for a trigger. */
export function incidentBody(intent: NotificationIntent, message: MessageContext, channel: IncidentChannel, serviceId: string): Record<string, unknown> {
  return {
    incident: {
      type: "incident",
      // createIncident requires a title; a blank one reads as none.
      title: truncate(intent.summary.trim() !== "" ? intent.summary : intent.monitorId, TITLE_MAX),
      service: { id: serviceId, type: "service_reference" },
      urgency: channel.urgency,
      incident_key: intent.dedupKey,
      body: { type: "incident_body", details: truncateMarked(plainText(intent, message), DETAILS_MAX) },
    },
  };
}

/** The REST API's headers: the API token, the version, and `From` (the PagerDuty user the incident is opened as). */
export function incidentHeaders(channel: IncidentChannel, token: string): Record<string, string> {
  return {
    authorization: `Token token=${token}`,
    accept: "application/vnd.pagerduty+json;version=2",
    from: channel.from,
  };
}

/**
 * The ref of a trigger whose incident id is not known. A null ref would leave an earlier firing's
 * incident id as this alert's ref (the delivery log keeps the last non-null one), and acknowledge
 * and resolve would update that old incident; this empty one makes them look the incident up.
 */
const UNKNOWN_INCIDENT = "";

/**
 * PagerDuty REST API incidents, for the emergency flow: a trigger opens an incident
 * (`POST /incidents`, incident_key = dedup key); acknowledge and resolve update the incident
 * opened for this alert (`PUT /incidents/{id}`). When that incident's id is not known, it is found
 * by its key (`GET /incidents`); none open counts as done. `serviceId` maps the channel's service
 * to a PagerDuty service ID at send time.
 */
export function pagerDutyIncidentNotifier(channel: IncidentChannel, options: { baseUrl: string; serviceId: (ctx: SendContext) => { id: string } | { missing: string } }): Notifier {
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    kind: "pagerdutyIncident",
    // PagerDuty limits REST calls per API key (960 a minute for an account key, and per user across
    // a user's keys: support.pagerduty.com/docs/rest-api-rate-limits), so channels that share a
    // token share one bucket.
    rateKey(secret) {
      const token = secret(channel.token.secret);
      return token ? `pagerduty-rest:${createHash("sha256").update(token).digest("hex").slice(0, 16)}` : null;
    },
    requestsPerAttempt: (intent, previousRef) => restRequestsPerAttempt(intent, previousRef),
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const token = ctx.secret(channel.token.secret);
      if (!token) return missing(channel.token.secret);
      const headers = incidentHeaders(channel, token);
      if (intent.type === "trigger" || intent.type === "remind") {
        const service = options.serviceId(ctx);
        if ("missing" in service) return missing(service.missing);
        const body = JSON.stringify(incidentBody(intent, message, channel, service.id));
        const created = await sendHttp({ method: "POST", url: `${base}/incidents`, headers, body }, ctx.signal, ctx.now, classifyCreate);
        if (!created.ok || created.ref) return created;
        // The incident is open but its id did not come back: an "already exists" answer to a
        // retry whose first answer was lost, or a 201 without a usable id. Find it by its key now;
        // failing that, acknowledge and resolve look again. The create is never repeated for it.
        const found = await findOpenIncident({ base, headers, serviceId: service.id }, intent.dedupKey, ctx.signal, ctx.now);
        // Another emergency report while the first one's incident is open: PagerDuty refuses a
        // second incident with the key, so the report goes on the open one as a note (retried
        // whole, lookup included, until it is there).
        if (intent.details["emergency"] === true) {
          if (found.kind === "failed") return lookupFailed(found);
          if (found.kind === "open") return addNote(base, headers, found.id, intent, ctx);
        }
        return { ...created, ref: found.kind === "open" ? found.id : UNKNOWN_INCIDENT };
      }
      const status = intent.type === "resolve" ? "resolved" : "acknowledged";
      let id = ctx.previousRef;
      if (!id) {
        const service = options.serviceId(ctx);
        if ("missing" in service) return missing(service.missing);
        const found = await findOpenIncident({ base, headers, serviceId: service.id }, intent.dedupKey, ctx.signal, ctx.now);
        if (found.kind === "failed") return lookupFailed(found);
        // Nothing open for this alert: a person resolved it in PagerDuty, or it was never opened.
        if (found.kind === "none") return { ok: true, status: found.status, answer: `no open PagerDuty incident for this alert; nothing to mark ${status}`, ref: null };
        id = found.id;
      }
      const body = JSON.stringify({ incident: { type: "incident_reference", status } });
      const url = `${base}/incidents/${encodeURIComponent(id)}`;
      const updated = await sendHttp({ method: "PUT", url, headers, body }, ctx.signal, ctx.now, notRestAnswer);
      // An id found by lookup is kept, so the next update for this alert need not look again.
      return updated.ok && id !== ctx.previousRef ? { ...updated, ref: id } : updated;
    },
  };
}

/**
 * The REST calls one attempt may make, each counted against the API key's limit before it starts:
 * a trigger or reminder creates the incident and, when the answer holds no id (a reminder's usually
 * does not: the incident is open already), looks it up; an emergency report may add a note to it;
 * an acknowledge or resolve looks the incident up when its id is not known, then updates it.
 */
export function restRequestsPerAttempt(intent: NotificationIntent, previousRef: string | null): number {
  if (intent.type === "trigger" || intent.type === "remind") return intent.details["emergency"] === true ? 3 : 2;
  return previousRef ? 1 : 2;
}

/** The longest note added to an open incident: an emergency report is at most 2,000 characters. */
const NOTE_LIMIT = 4_000;

async function addNote(base: string, headers: Record<string, string>, id: string, intent: NotificationIntent, ctx: SendContext): Promise<SendResult> {
  const message = typeof intent.details["message"] === "string" ? intent.details["message"] : intent.summary;
  const content = truncate(`Another emergency report (${new Date(intent.at).toISOString()}): ${message}`, NOTE_LIMIT);
  const url = `${base}/incidents/${encodeURIComponent(id)}/notes`;
  const noted = await sendHttp({ method: "POST", url, headers, body: JSON.stringify({ note: { content } }) }, ctx.signal, ctx.now, notRestAnswer);
  return noted.ok ? { ...noted, ref: id } : noted;
}

function missing(name: string): SendResult {
  return { ok: false, failure: { retryable: true, reason: `not available: ${name}`, missingSecret: name }, status: null, answer: "" };
}

/** The incident id of a create answer, or null when the answer holds none usable. */
function incidentId(body: string): string | null {
  try {
    const id: unknown = (JSON.parse(body) as { incident?: { id?: unknown } } | null)?.incident?.id;
    return isIncidentId(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * 201 carries the incident id; an open incident with the same key already exists counts as done
 * (its id is then looked up by the caller).
 */
function classifyCreate(answer: HttpAnswer): SendResult | null {
  const foreign = notRestAnswer(answer);
  if (foreign) return foreign;
  if (answer.status === 201 || answer.status === 200) {
    return { ok: true, status: answer.status, answer: truncate(answer.body, 2000), ref: incidentId(answer.body) };
  }
  if (answer.status === 400 && /matching dedup key already exists/i.test(answer.body)) {
    return { ok: true, status: 400, answer: truncate(answer.body, 2000), ref: null };
  }
  return null;
}

/**
 * A 2xx whose body is a page (an HTML sign-in page, a proxy's own page) did not come from
 * PagerDuty, whose REST API answers every success in JSON: the request never reached it, so
 * it is retried (a second create with the key is refused as "already exists", which counts as done)
 * rather than recorded as sent. Null for any other answer.
 */
function notRestAnswer(answer: HttpAnswer): SendResult | null {
  if (answer.status < 200 || answer.status >= 300 || !isMarkupPage(answer.body)) return null;
  const reason = `HTTP ${answer.status} that is a page, not PagerDuty's answer: something in front of PagerDuty answered instead`;
  return { ok: false, failure: { retryable: true, reason }, status: answer.status, answer: truncate(answer.body, 2000) };
}

