import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { DeliveryQueue } from "./delivery-queue.js";
import { destinationKind, type Notification } from "./types.js";

/** Delivery's Prometheus metrics, registered once per registry. */
export interface DeliveryMetrics {
  observe(item: Notification, startedAt: number, now: number): void;
}

export function deliveryMetrics(registry: Registry, store: Pick<DeliveryQueue, "pendingCount">): DeliveryMetrics {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const outcomes = get(
    "watchkeeper_delivery_attempts_total",
    () => new Counter({ name: "watchkeeper_delivery_attempts_total", help: "Notification attempts by destination kind and outcome.", labelNames: ["kind", "outcome"], registers: [registry] }),
  );
  const latency = get(
    "watchkeeper_delivery_send_seconds",
    () =>
      new Histogram({
        name: "watchkeeper_delivery_send_seconds",
        help: "Time from a delivery becoming due to its outcome.",
        labelNames: ["kind"],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  );
  get(
    "watchkeeper_delivery_pending",
    () =>
      new Gauge({
        name: "watchkeeper_delivery_pending",
        help: "Deliveries waiting to be sent (including retries).",
        registers: [registry],
        async collect() {
          this.set(await store.pendingCount());
        },
      }),
  );
  return {
    observe(item, startedAt, now) {
      if (!item.outcome) return;
      const kind = destinationKind(item.destination);
      outcomes.inc({ kind, outcome: item.outcome.kind });
      if (item.outcome.kind === "sent") latency.observe({ kind }, Math.max(0, now - startedAt) / 1000);
    },
  };
}
