import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/** A critical monitor must page someone: it needs a PagerDuty `service`, not only chat channels. */
export function criticalRoutesToService(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.monitors
    .filter((m) => m.severity === "critical" && m.service === null)
    .map((m) =>
      diagnostic(
        "error",
        "critical-routes-to-service",
        `critical monitor "${m.id}" does not route to a service, so it pages nobody`,
        "add `service: <your service>` (imported from policies/), or lower the severity",
        ctx.locate(m),
      ),
    );
}
