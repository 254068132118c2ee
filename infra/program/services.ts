import * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest, ServiceSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { lineageOptions, oldNames } from "./lineage.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";
import { timeoutSetting } from "./seconds.js";

/** Events API v2 integration type: what the runtime's PagerDuty notifier sends to. */
export const EVENTS_V2_INTEGRATION = "events_api_v2_inbound_integration";

export interface DeclaredServices {
  resources: pulumi.Resource[];
  /** Integration key of each service's Events API v2 integration, by service id. */
  integrationKeys: Map<string, pulumi.Output<string>>;
}

/** Services with urgency, timeouts and alert grouping, plus one Events API v2 integration each. */
export function declareServices(manifest: Manifest, refs: Refs, opts: pulumi.CustomResourceOptions): DeclaredServices {
  const resources: pulumi.Resource[] = [];
  const integrationKeys = new Map<string, pulumi.Output<string>>();
  for (const service of manifest.services) {
    const created = new pagerduty.Service(
      logicalName.service(service.id),
      serviceArgs(service, refs),
      lineageOptions(opts, oldNames(service.previousIds, logicalName.service), service.pagerdutyId),
    );
    refs.services.set(service.id, created.id);
    const integration = new pagerduty.ServiceIntegration(
      logicalName.eventsIntegration(service.id),
      { name: "Watchkeeper (Events API v2)", service: created.id, type: EVENTS_V2_INTEGRATION },
      // An adopted service gets Watchkeeper's own integration; a renamed one keeps its integration and key.
      lineageOptions(opts, oldNames(service.previousIds, logicalName.eventsIntegration)),
    );
    integrationKeys.set(service.id, integration.integrationKey);
    resources.push(created, integration);
  }
  return { resources, integrationKeys };
}

function serviceArgs(service: ServiceSpec, refs: Refs): pagerduty.ServiceArgs {
  return {
    name: service.name,
    ...(service.description !== null ? { description: service.description } : {}),
    escalationPolicy: Refs.get(refs.escalationPolicies, "escalation policy", service.escalationPolicy),
    // severity_based takes the urgency from each event's severity; constant means one urgency for all.
    incidentUrgencyRule: { type: "constant", urgency: service.urgency },
    autoResolveTimeout: timeoutSetting(service.autoResolveTimeout),
    acknowledgementTimeout: timeoutSetting(service.acknowledgementTimeout),
    // Alert grouping needs alerts (not bare incidents) to group.
    alertCreation: "create_alerts_and_incidents",
    ...(service.alertGrouping !== null ? { alertGroupingParameters: alertGrouping(service.alertGrouping) } : {}),
  };
}

function alertGrouping(grouping: NonNullable<ServiceSpec["alertGrouping"]>): pagerduty.types.input.ServiceAlertGroupingParameters {
  switch (grouping.type) {
    case "time":
      // PagerDuty counts this timeout in minutes; 0 groups until the incident resolves.
      return { type: "time", config: { timeout: grouping.timeout === null ? 0 : Math.round(durationMs(grouping.timeout) / 60_000) } };
    case "intelligent":
      return { type: "intelligent" };
    case "content_based":
      // Group alerts whose summary and source agree: the runtime puts the monitor and label set there.
      return { type: "content_based", config: { aggregate: "all", fields: ["summary", "source"] } };
  }
}
