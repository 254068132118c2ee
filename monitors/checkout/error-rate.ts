import { check, monitor } from "watchkeeper";
import { checkoutPayments } from "../../policies/services.js";
import { paymentsTeam } from "../../policies/teams.js";

/**
 * Checkout answers with 5xx more than 0.05 times a second, for 5 minutes: critical. The query
 * returns only the series above the limit, one alert per series (job, instance, status carried as
 * labels). The check reports each series as a value, not as a verdict, so the threshold restates
 * the limit: without it, nothing would ever fire.
 */
export const checkoutErrorRate = monitor({
  id: "checkout-error-rate",
  name: "Checkout 5xx rate",
  owner: paymentsTeam,
  schedule: { every: "30s" },
  check: check.prometheus({
    server: "http://prometheus.monitoring:9090",
    query: 'rate(http_requests_total{status=~"5.."}[5m]) > 0.05',
  }),
  threshold: { op: ">", value: 0.05 },
  for: "5m",
  // A rate that dips under the limit for one evaluation is not a recovery.
  keepFiringFor: "2m",
  severity: "critical",
  service: checkoutPayments,
  labels: { team: "payments", service: "checkout", tier: "1" },
  summary: (result, m) => {
    const perSecond = result.value === null ? "n/a" : result.value.toFixed(3);
    const where = result.labels["instance"] ?? result.labels["job"] ?? "checkout";
    return `${m.name} on ${where}: ${perSecond} ${result.labels["status"] ?? "5xx"} responses/s (limit 0.05/s)`;
  },
  runbook: "https://runbooks.example.com/checkout/high-error-rate",
});
