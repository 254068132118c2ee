import { check, monitor } from "watchkeeper";
import { checkoutPayments } from "../../policies/services.js";
import { paymentsTeam } from "../../policies/teams.js";

/**
 * Checkout's p99 latency above 500 ms for 10 minutes: a warning (low urgency on the service).
 * The query keeps every series so an alert resolves when its series recovers; the condition
 * decides, and ignores NaN, which histogram_quantile returns while a service has no traffic.
 */
export const checkoutLatencyP99 = monitor({
  id: "checkout-latency-p99",
  name: "Checkout p99 latency",
  owner: paymentsTeam,
  schedule: { every: "1m" },
  check: check.prometheus({
    server: "http://prometheus.monitoring:9090",
    query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="checkout"}[5m])))',
  }),
  condition: (result) => result.value !== null && Number.isFinite(result.value) && result.value > 0.5,
  for: "10m",
  severity: "warning",
  service: checkoutPayments,
  labels: { team: "payments", service: "checkout", tier: "1" },
  summary: "Checkout p99 latency is {{value}} s (limit 0.5 s)",
  runbook: "https://runbooks.example.com/checkout/latency",
});
