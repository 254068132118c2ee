import { describe, expect, it } from "vitest";
import { feed, isMonitorTest, monitorTest } from "watchkeeper";
import { checkoutErrorRate } from "../../monitors/checkout/error-rate.js";
import { websiteHome, websiteSiteDown } from "../../monitors/website/endpoints.js";
import { websiteDnsNameservers } from "../../monitors/website/dns.js";
import { websiteUptimeService } from "../../monitors/website/uptime-intake.js";

// `npx tsc -p tsconfig.json` checks this file: each @ts-expect-error is a step shape the editor refuses.
describe("monitorTest step types", () => {
  it("types each step by the monitor's check kind", () => {
    const ok = monitorTest({
      monitor: websiteHome,
      start: "2026-12-05T03:12:00Z",
      steps: [
        { at: "+0s", http: { status: 200, latency: "120ms" } },
        { at: "+1m30s", error: "connect ECONNREFUSED", reason: "unreachable" },
        { at: "+2m", acknowledge: { by: "Priya" } },
        // @ts-expect-error an HTTP monitor takes http answers, not PromQL series
        { at: "+3m", series: [{ value: 1 }] },
        // @ts-expect-error status is a number
        { at: "+4m", http: { status: "200" } },
      ],
      expect: [{ at: "+5m", alert: "firing" }],
    });
    monitorTest({
      monitor: checkoutErrorRate,
      start: "2026-12-05T03:12:00Z",
      // @ts-expect-error a PromQL monitor takes series, not an HTTP answer
      steps: [{ at: "+0s", http: { status: 200 } }],
      // @ts-expect-error "critical" is not an alert state
      expect: [{ at: "+5m", alert: "critical" }],
    });
    monitorTest({
      monitor: websiteUptimeService,
      start: "2026-12-05T03:12:00Z",
      steps: [{ at: "+0s", uptime: { up: false, message: "timeout from eu-west" } }],
      // @ts-expect-error offsets are durations ("+5m"), not bare numbers
      expect: [{ at: "5", alert: "firing" }],
      // @ts-expect-error a script monitor takes script outcomes
      others: [feed(websiteSiteDown, [{ at: "+0s", tcp: { connected: true } }])],
    });
    monitorTest({
      monitor: websiteDnsNameservers,
      start: "2026-12-05T03:12:00Z",
      steps: [
        { at: "+0s", dns: { answers: ["ns1.example.net"], latency: "10ms", nameservers: { "192.0.2.53": { rcode: "TIMEOUT" } } } },
        { at: "+5m", dns: { rcode: "NXDOMAIN" } },
        // @ts-expect-error an rcode is one of NXDOMAIN, NODATA, SERVFAIL, REFUSED, TIMEOUT
        { at: "+10m", dns: { rcode: "NOERROR" } },
        // @ts-expect-error a DNS monitor takes DNS answers, not a TCP connection
        { at: "+15m", tcp: { connected: false, error: "ECONNREFUSED" } },
      ],
      expect: [{ at: "+5m", alert: "firing" }],
    });
    expect(isMonitorTest(ok)).toBe(true);
    expect(Object.isFrozen(ok)).toBe(true);
    expect(isMonitorTest({ kind: "monitorTest" })).toBe(false);
  });
});
