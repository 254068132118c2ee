import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { layerTime } from "./layer-times.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";

/**
 * Maintenance windows for `maintenance` silences that name services. Silences that only match
 * monitors or labels stay in the runtime: PagerDuty windows are per service.
 */
export function declareMaintenanceWindows(
  manifest: Manifest,
  refs: Refs,
  opts: pulumi.CustomResourceOptions,
): pulumi.Resource[] {
  return manifest.silences
    .filter((silence) => silence.kind === "maintenance" && silence.matchers.services.length > 0)
    .map(
      (silence) =>
        new pagerduty.MaintenanceWindow(
          logicalName.maintenanceWindow(silence.id),
          {
            // valid-schedules holds them to an offset; the provider also wants seconds and "+01:00", not "+0100".
            startTime: layerTime(silence.start, "UTC"),
            endTime: layerTime(silence.end, "UTC"),
            description: silence.comment,
            services: silence.matchers.services.map((id) => Refs.get(refs.services, "service", id)),
          },
          opts,
        ),
    );
}
