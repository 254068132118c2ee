import { secret, service } from "watchkeeper";
import { checkoutEscalation, platformEscalation, websiteEscalation } from "./escalation-policies.js";
import { paymentsTeam, platformTeam, webTeam } from "./teams.js";

// Each service names the secret that holds its Events API v2 routing key. `wk deploy` provisions
// the integration and prints the key as a secret stack output; operators put it in that secret.

/**
 * Checkout/payments microservice. Urgency follows each alert's severity: critical pages wake
 * someone, warnings arrive as low-urgency incidents for the working day.
 */
export const checkoutPayments = service({
  id: "checkout-payments",
  name: "Checkout Payments",
  description: "Checkout and payment processing microservice (Kubernetes, namespace checkout).",
  escalationPolicy: checkoutEscalation,
  team: paymentsTeam,
  urgency: "severity_based",
  autoResolveTimeout: "4h",
  acknowledgementTimeout: "30m",
  // One incident per 5-minute burst: a bad deploy trips error rate, latency and CPU together.
  alertGrouping: { type: "time", timeout: "5m" },
  routingKey: secret("PAGERDUTY_ROUTING_CHECKOUT"),
});

/** The public website: home, login and the web API. Always high urgency. */
export const website = service({
  id: "website",
  name: "Website",
  description: "Public website www.example.com, its login and web API.",
  escalationPolicy: websiteEscalation,
  team: webTeam,
  urgency: "high",
  // Never auto-resolve: Watchkeeper resolves when the checks pass again.
  autoResolveTimeout: null,
  acknowledgementTimeout: "1h",
  // Alerts with the same summary and source (monitor and label set) share an incident.
  alertGrouping: { type: "content_based" },
  routingKey: secret("PAGERDUTY_ROUTING_WEBSITE"),
});

/** The workflow engine whose failed runs are polled every minute. */
export const workflowEngine = service({
  id: "workflow-engine",
  name: "Workflow Engine",
  description: "Batch workflow engine (orders export, invoicing, nightly reports).",
  escalationPolicy: platformEscalation,
  team: platformTeam,
  urgency: "high",
  autoResolveTimeout: "24h",
  acknowledgementTimeout: "2h",
  alertGrouping: { type: "intelligent" },
  routingKey: secret("PAGERDUTY_ROUTING_WORKFLOWS"),
});
