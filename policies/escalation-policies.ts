import { escalationPolicy } from "watchkeeper";
import { helenaFischer, noahBergmann } from "./people.js";
import { checkoutWeekly, platformWeekly, webBusinessHours } from "./schedules.js";
import { paymentsTeam, platformTeam, webTeam } from "./teams.js";

/**
 * Checkout/payments: the engineer on the weekly rotation first; unacknowledged after 15 minutes,
 * the manager. Nobody at all after another 15 minutes: start over, twice (loops: 2).
 */
export const checkoutEscalation = escalationPolicy({
  id: "checkout-escalation",
  name: "Checkout escalation",
  loops: 2,
  rules: [
    { delay: "15m", targets: [checkoutWeekly] },
    { delay: "15m", targets: [helenaFischer] },
  ],
  teams: [paymentsTeam],
});

/** Website: whoever the web schedule has on call, then the web lead after 10 minutes. */
export const websiteEscalation = escalationPolicy({
  id: "website-escalation",
  name: "Website escalation",
  loops: 1,
  rules: [
    { delay: "10m", targets: [webBusinessHours] },
    { delay: "20m", targets: [noahBergmann] },
  ],
  teams: [webTeam],
});

/** Workflow engine: the platform rotation, then the manager after 30 minutes (failed runs are rarely minute-critical). */
export const platformEscalation = escalationPolicy({
  id: "platform-escalation",
  name: "Platform escalation",
  loops: 1,
  rules: [
    { delay: "30m", targets: [platformWeekly] },
    { delay: "30m", targets: [helenaFischer] },
  ],
  teams: [platformTeam],
});
