import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * A critical monitor must page someone: it needs a PagerDuty `service`, or a PagerDuty channel
 * (Events v2 with its own routing key, or a REST incident on a service, as the emergency flow uses),
 * not only chat channels.
 */
export function criticalRoutesToService(ctx: RuleContext): Diagnostic[] {
  const pagerdutyChannels = new Set(
    ctx.manifest.channels.filter((c) => c.kind === "pagerduty" || c.kind === "pagerdutyIncident").map((c) => c.id),
  );
  return ctx.manifest.monitors
    .filter((m) => m.severity === "critical" && m.service === null && !m.channels.some((id) => pagerdutyChannels.has(id)))
    .map((m) =>
      diagnostic(
        "error",
        "critical-routes-to-service",
        `critical monitor "${m.id}" does not route to a service, so it pages nobody`,
        "add `service: <your service>` (imported from policies/) or a PagerDuty channel, or lower the severity",
        ctx.locate(m),
      ),
    );
}
