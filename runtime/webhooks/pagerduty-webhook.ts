import type { Logger } from "pino";
import { z } from "zod";
import type { AlertControl } from "../alerts/intent.js";
import { sendJson, type Handler } from "../http/router.js";
import { header, parseJson } from "../notify/http-io.js";
import { verifyPagerDutySignature } from "./signature.js";
import type { WebhookIds } from "./webhook-ids.js";

export const PAGERDUTY_WEBHOOK_SECRET = "PAGERDUTY_WEBHOOK_SECRET";

const eventSchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string(),
    occurred_at: z.string(),
    agent: z.object({ summary: z.string().optional(), id: z.string().optional() }).nullable().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

const incidentSchema = z.object({
  id: z.string(),
  type: z.literal("incident"),
  incident_key: z.string().nullable().optional(),
  title: z.string().optional(),
});

export interface PagerDutyWebhookDeps {
  alerts: AlertControl;
  ids: WebhookIds;
  secret(name: string): string | undefined;
  logger: Logger;
  clock: () => number;
}

/**
 * `POST /webhooks/pagerduty`: PagerDuty v3 webhooks. The signature is checked before anything
 * else (401 and a log line when unsigned or wrong); deliveries are deduplicated by `X-Webhook-Id`;
 * `incident.acknowledged` acknowledges the alert and tells its ack channels who acknowledged;
 * `incident.resolved` resolves it. Other event types are accepted and ignored.
 */
export function pagerDutyWebhookHandler(deps: PagerDutyWebhookDeps): Handler {
  return (req, res, _params, raw) => {
    const secret = deps.secret(PAGERDUTY_WEBHOOK_SECRET);
    const signature = header(req, "x-pagerduty-signature");
    if (!secret) {
      deps.logger.warn(`PagerDuty webhook refused: secret ${PAGERDUTY_WEBHOOK_SECRET} is not set`);
      return sendJson(res, 401, { error: "webhook signature cannot be verified" });
    }
    if (!verifyPagerDutySignature(raw, signature, secret)) {
      deps.logger.warn({ remote: req.socket.remoteAddress, signed: signature !== undefined }, "PagerDuty webhook refused: missing or bad signature");
      return sendJson(res, 401, { error: "invalid signature" });
    }
    const parsed = eventSchema.safeParse(parseJson(raw));
    if (!parsed.success) return sendJson(res, 400, { error: "not a PagerDuty v3 webhook payload" });
    const event = parsed.data.event;
    const now = deps.clock();
    const webhookId = header(req, "x-webhook-id") ?? `event:${event.id}`;
    if (!deps.ids.firstTime(webhookId, now)) {
      deps.logger.info({ webhookId }, "PagerDuty webhook replay ignored");
      return sendJson(res, 200, { status: "duplicate" });
    }
    if (event.event_type !== "incident.acknowledged" && event.event_type !== "incident.resolved") {
      return sendJson(res, 200, { status: "ignored", eventType: event.event_type });
    }
    const incident = incidentSchema.safeParse(event.data);
    if (!incident.success) {
      deps.ids.forget(webhookId);
      return sendJson(res, 400, { error: "incident event without incident data" });
    }
    const dedupKey = incident.data.incident_key ?? null;
    if (!dedupKey) return sendJson(res, 200, { status: "ignored", reason: "incident has no incident_key" });
    const at = Number.isNaN(Date.parse(event.occurred_at)) ? now : Date.parse(event.occurred_at);
    const by = event.agent?.summary ?? "PagerDuty";

    if (event.event_type === "incident.resolved") {
      const known = deps.alerts.resolve(dedupKey, at, `resolved in PagerDuty by ${by}`);
      deps.logger.info({ dedupKey, known }, "PagerDuty incident resolved");
      return sendJson(res, 200, { status: known ? "resolved" : "unknown-alert" });
    }
    // The alert's acknowledge intent (written by AlertControl with the alert change) tells the ack channels.
    const known = deps.alerts.acknowledge(dedupKey, by, at);
    deps.logger.info({ dedupKey, known, by }, "PagerDuty incident acknowledged");
    return sendJson(res, 200, { status: known ? "acknowledged" : "unknown-alert" });
  };
}
