import { check, monitor } from "watchkeeper";
import { checkoutPayments } from "../../policies/services.js";
import { paymentsTeam } from "../../policies/teams.js";

// Both ratios are usage over the pod's limit, per pod: 0.9 means 90 % of what Kubernetes allows
// before it throttles (CPU) or kills (memory) the pod.

/** A checkout pod uses more than 90 % of its CPU limit for 15 minutes: a warning. */
export const checkoutCpuSaturation = monitor({
  id: "checkout-cpu-saturation",
  name: "Checkout CPU saturation",
  owner: paymentsTeam,
  schedule: { every: "1m" },
  check: check.prometheus({
    server: "http://prometheus.monitoring:9090",
    query:
      'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="checkout", container!=""}[5m]))' +
      ' / sum by (pod) (kube_pod_container_resource_limits{namespace="checkout", resource="cpu"})',
  }),
  threshold: { op: ">", value: 0.9 },
  for: "15m",
  severity: "warning",
  service: checkoutPayments,
  labels: { team: "payments", service: "checkout", resource: "cpu" },
  summary: "Checkout pod {{labels.pod}} uses {{value}} of its CPU limit",
  runbook: "https://runbooks.example.com/checkout/saturation",
});

/** A checkout pod's working set is above 90 % of its memory limit for 15 minutes: a warning. */
export const checkoutMemorySaturation = monitor({
  id: "checkout-memory-saturation",
  name: "Checkout memory saturation",
  owner: paymentsTeam,
  schedule: { every: "1m" },
  check: check.prometheus({
    server: "http://prometheus.monitoring:9090",
    query:
      'sum by (pod) (container_memory_working_set_bytes{namespace="checkout", container!=""})' +
      ' / sum by (pod) (kube_pod_container_resource_limits{namespace="checkout", resource="memory"})',
  }),
  threshold: { op: ">", value: 0.9 },
  for: "15m",
  severity: "warning",
  service: checkoutPayments,
  labels: { team: "payments", service: "checkout", resource: "memory" },
  summary: "Checkout pod {{labels.pod}} uses {{value}} of its memory limit",
  runbook: "https://runbooks.example.com/checkout/saturation",
});
