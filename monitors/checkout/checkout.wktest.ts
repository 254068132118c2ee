import { monitorTest } from "watchkeeper";
import { checkoutPayments } from "../../policies/services.js";
import { checkoutErrorRate } from "./error-rate.js";
import { checkoutLatencyP99 } from "./latency.js";

// The microservices scenario: the checkout's PromQL monitors page per series, hold `for` and
// `keepFiringFor`, ignore NaN from an idle histogram, and stay quiet during the database upgrade.

const pod1 = { job: "checkout", instance: "pod-1", status: "500" };
const pod2 = { job: "checkout", instance: "pod-2", status: "503" };

export const errorRatePagesPerSeries = monitorTest({
  name: "checkout-error-rate pages each failing pod after 5 minutes and holds 2 minutes after it recovers",
  monitor: checkoutErrorRate,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", series: [] },
    { at: "+1m", series: [{ labels: pod1, value: 0.2 }] },
    { at: "+3m", series: [{ labels: pod1, value: 0.3 }, { labels: pod2, value: 0.09 }] },
    { at: "+10m", series: [{ labels: pod2, value: 0.08 }] },
    { at: "+15m", series: [] },
  ],
  expect: [
    { at: "+5m30s", labels: pod1, alert: "pending", notifications: [] },
    { at: "+6m", labels: pod1, alert: "firing", notifications: [{ type: "trigger", destination: checkoutPayments, labels: { ...pod1, team: "payments", tier: "1" } }] },
    { at: "+8m", labels: pod2, alert: "firing", notifications: [{ type: "trigger", destination: checkoutPayments }] },
    // The series is gone from +10m; keepFiringFor holds the page until +12m.
    { at: "+11m30s", labels: pod1, alert: "firing", notifications: [] },
    { at: "+12m", labels: pod1, alert: "inactive", notifications: [{ type: "resolve", destination: checkoutPayments }] },
    { at: "+17m", labels: pod2, alert: "inactive", notifications: [{ type: "resolve", destination: checkoutPayments }] },
  ],
});

export const errorRateBelowTheLimitStaysQuiet = monitorTest({
  name: "checkout-error-rate: a series at or under 0.05/s does not fire (the threshold restates the query's limit)",
  monitor: checkoutErrorRate,
  start: "2026-12-05T03:12:00Z",
  steps: [{ at: "+0s", series: [{ labels: pod1, value: 0.05 }] }],
  expect: [{ at: "+10m", labels: pod1, alert: "inactive", notifications: [] }],
});

export const errorRateMutedDuringTheUpgrade = monitorTest({
  name: "checkout-error-rate fires during the database upgrade window, and nobody is paged",
  monitor: checkoutErrorRate,
  // 22:30 in Berlin, inside checkout-db-upgrade-2026-12 (22:00 to 02:00 +01:00).
  start: "2026-12-05T21:30:00Z",
  steps: [
    { at: "+0s", series: [{ labels: pod1, value: 0.4 }] },
    { at: "+20m", series: [] },
  ],
  expect: [
    { at: "+5m", labels: pod1, alert: "firing", notifications: [] },
    { at: "+22m", labels: pod1, alert: "inactive", notifications: [] },
  ],
});

export const latencyIgnoresNaN = monitorTest({
  name: "checkout-latency-p99 ignores NaN (no traffic) and warns after 10 minutes over 0.5 s",
  monitor: checkoutLatencyP99,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", series: [{ value: "NaN" }] },
    { at: "+5m", series: [{ value: 0.8 }] },
  ],
  expect: [
    { at: "+4m", alert: "inactive", notifications: [] },
    { at: "+14m", alert: "pending", notifications: [] },
    { at: "+15m", alert: "firing", notifications: [{ type: "trigger", destination: checkoutPayments }] },
  ],
});
