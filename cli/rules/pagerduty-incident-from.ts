import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * A bare address, as PagerDuty's `From` header wants it: no display name, no angle brackets, no
 * spaces, a dot in the domain. PagerDuty then also requires it to be a user of the account, which
 * only the account can tell.
 */
const EMAIL_RE = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+\.[^\s@<>()",;:\\[\].]+$/;

/**
 * PagerDuty's REST API refuses to open an incident unless `From` is the email of a valid user; a
 * `pagerdutyIncident({ from })` that is not an email would only fail when the emergency page is
 * pressed, which is the worst moment to learn it.
 */
export function pagerdutyIncidentFrom(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.channels.flatMap((c) =>
    c.kind === "pagerdutyIncident" && !EMAIL_RE.test(c.from)
      ? [
          diagnostic(
            "error",
            "pagerduty-incident-from",
            `channel "${c.id}": from ${JSON.stringify(c.from)} is not an email address; PagerDuty's REST API needs the email of a user in the account`,
            'set from to the bare email of a PagerDuty user, such as "oncall@example.com"',
            ctx.locate(c),
          ),
        ]
      : [],
  );
}
