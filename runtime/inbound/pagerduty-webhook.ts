import type { Logger } from "pino";
import { LimitedWarnings } from "../limited-warnings.js";
import { z } from "zod";
import type { AlertControl, ControlOutcome } from "../alerts/intent.js";
import { sendJson, type Handler } from "../http/router.js";
import { header, parseJson } from "../http/http-io.js";
import { eventAge } from "./event-age.js";
import { verifyPagerDutySignature } from "./signature.js";
import type { WebhookIdLog } from "./webhook-ids.js";

export const PAGERDUTY_WEBHOOK_SECRET = "PAGERDUTY_WEBHOOK_SECRET";

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO 8601 date");

const eventSchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string(),
    occurred_at: timestamp,
    agent: z.object({ summary: z.string().optional(), id: z.string().optional() }).nullable().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

/** PagerDuty's `incident` event data: `created_at` says which episode the incident belongs to. */
const incidentSchema = z.object({
  id: z.string(),
  type: z.literal("incident"),
  incident_key: z.string().nullable().optional(),
  created_at: timestamp,
  title: z.string().optional(),
  service: z.object({ id: z.string() }).nullable().optional(),
});

const ACTED_ON = new Set(["incident.acknowledged", "incident.unacknowledged", "incident.resolved"]);

/** What each acted-on event does, in the words of the answer and the log. */
const DONE: Record<string, string> = { "incident.acknowledged": "acknowledged", "incident.unacknowledged": "unacknowledged", "incident.resolved": "resolved" };

/** Why an outcome other than `applied` did nothing, for the log line. */
const WHY_NOT: Partial<Record<ControlOutcome, string>> = {
  "other-service": ": the incident is on a PagerDuty service this alert does not page, so it is not this alert's (not acted on)",
  // PagerDuty does not deliver in order and retries a 5xx later: a late one must not undo a newer state.
  "out-of-order": ": it happened before an acknowledgement-state event the alert already took, and arrived late (not acted on)",
};

export interface PagerDutyWebhookDeps {
  alerts: AlertControl;
  ids: WebhookIdLog;
  secret(name: string): string | undefined;
  logger: Logger;
  clock: () => number;
  /** Events whose `occurred_at` is older than this are not acted on (the manifest's webhookMaxAge). */
  maxAgeMs: number;
}

/**
 * `POST /webhooks/pagerduty`: PagerDuty v3 webhooks. The signature is checked before anything
 * else (401 and a log line when unsigned or wrong). Only what PagerDuty signs is trusted: events
 * are deduplicated by the body's `event.id` (the `X-Webhook-Id` header is not signed; the id is
 * recorded once the event was acted on, so one lost to a crash is taken on retry), refused
 * when `occurred_at` is outside the accepted window, and an acknowledge or resolve applies only
 * when the incident was created for the alert's current firing and did not happen before an
 * acknowledgement-state event the alert already took (PagerDuty delivers out of order). Every
 * refusal of a signed, well-formed event answers 200 and does nothing: PagerDuty retries non-2xx
 * answers, and a replay or an old event is not going to become acceptable by being sent again.
 */
export function pagerDutyWebhookHandler(deps: PagerDutyWebhookDeps): Handler {
  // Unsigned requests can come from anyone who reaches the port: one line a minute each.
  const refusals = new LimitedWarnings(deps.logger, deps.clock);
  return async (req, res, _params, raw) => {
    const secret = deps.secret(PAGERDUTY_WEBHOOK_SECRET);
    const signature = header(req, "x-pagerduty-signature");
    if (!secret) {
      refusals.warn("no-secret", {}, `PagerDuty webhook refused: secret ${PAGERDUTY_WEBHOOK_SECRET} is not set`);
      return sendJson(res, 401, { error: "webhook signature cannot be verified" });
    }
    if (!verifyPagerDutySignature(raw, signature, secret)) {
      refusals.warn("signature", { remote: req.socket.remoteAddress, signed: signature !== undefined }, "PagerDuty webhook refused: missing or bad signature");
      return sendJson(res, 401, { error: "invalid signature" });
    }
    const parsed = eventSchema.safeParse(parseJson(raw));
    if (!parsed.success) return sendJson(res, 400, { error: "not a PagerDuty v3 webhook payload" });
    const event = parsed.data.event;
    const incident = ACTED_ON.has(event.event_type) ? incidentSchema.safeParse(event.data) : null;
    if (incident && !incident.success) return sendJson(res, 400, { error: "incident event without incident data" });

    const now = deps.clock();
    const occurredAt = Date.parse(event.occurred_at);
    const age = eventAge(occurredAt, now, deps.maxAgeMs);
    if (age.kind === "stale") {
      deps.logger.warn({ eventId: event.id, eventType: event.event_type, occurredAt: event.occurred_at }, `PagerDuty webhook not acted on: ${age.reason}`);
      return sendJson(res, 200, { status: "stale", reason: age.reason });
    }
    if (await deps.ids.seenWebhookEvent(event.id)) {
      deps.logger.info({ eventId: event.id }, "PagerDuty webhook replay ignored");
      return sendJson(res, 200, { status: "duplicate" });
    }
    if (!incident) {
      await deps.ids.firstWebhookEvent(event.id, now);
      return sendJson(res, 200, { status: "ignored", eventType: event.event_type });
    }
    const dedupKey = incident.data.incident_key ?? null;
    if (!dedupKey) {
      await deps.ids.firstWebhookEvent(event.id, now);
      return sendJson(res, 200, { status: "ignored", reason: "incident has no incident_key" });
    }
    const at = { openedAt: Date.parse(incident.data.created_at), serviceId: incident.data.service?.id ?? null };
    const by = event.agent?.summary ?? "PagerDuty";

    let outcome: ControlOutcome;
    switch (event.event_type) {
      case "incident.resolved":
        outcome = await deps.alerts.resolve(dedupKey, occurredAt, `resolved in PagerDuty by ${by}`, at, by);
        break;
      case "incident.unacknowledged":
        // An acknowledgement that timed out (or was taken back): reminders resume.
        outcome = deps.alerts.unacknowledge ? await deps.alerts.unacknowledge(dedupKey, occurredAt, at) : "not-firing";
        break;
      default:
        // The alert's acknowledge intent (written by AlertControl with the alert change) tells the ack channels.
        outcome = await deps.alerts.acknowledge(dedupKey, by, occurredAt, at);
    }
    // Remembered only once the change committed: after a failure (a 500) or a crash in between,
    // PagerDuty's retry is applied again, which the alert's signal order makes harmless.
    await deps.ids.firstWebhookEvent(event.id, now);
    const done = DONE[event.event_type]!;
    // An applied change is logged once, as the alert's transition; only a refusal needs its own line.
    const level = outcome === "applied" ? "debug" : outcome === "other-service" ? "warn" : "info";
    const why = WHY_NOT[outcome] ?? "";
    deps.logger[level]({ dedupKey, outcome, by, incident: incident.data.id, service: at.serviceId }, `PagerDuty incident ${done}${why}`);
    return sendJson(res, 200, { status: outcome === "applied" ? done : outcome });
  };
}
