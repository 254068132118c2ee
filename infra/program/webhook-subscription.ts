import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "./names.js";

/** Events PagerDuty sends to the runtime's webhook endpoint (incident lifecycle, for acks and resolves). */
export const WEBHOOK_EVENTS = [
  "incident.acknowledged",
  "incident.annotated",
  "incident.delegated",
  "incident.escalated",
  "incident.priority_updated",
  "incident.reassigned",
  "incident.reopened",
  "incident.resolved",
  "incident.triggered",
  "incident.unacknowledged",
] as const;

/** The account-wide v3 webhook subscription to the runtime, when the project says where it runs. */
export function declareWebhookSubscription(manifest: Manifest, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const publicUrl = manifest.settings.publicUrl;
  if (publicUrl === null) return [];
  return [
    new pagerduty.WebhookSubscription(
      logicalName.webhookSubscription(),
      {
        type: "webhook_subscription",
        description: `Watchkeeper runtime of ${manifest.project.name}`,
        active: true,
        events: [...WEBHOOK_EVENTS],
        filters: [{ type: "account_reference" }],
        deliveryMethods: [{ type: "http_delivery_method", url: `${publicUrl.replace(/\/+$/, "")}/webhooks/pagerduty` }],
      },
      opts,
    ),
  ];
}
