import { monitorTest } from "watchkeeper";
import { website } from "../../policies/services.js";
import { websiteDnsNameservers } from "./dns.js";

// The DNS scenario: the resolver still answers from cache, but one of the two nameservers has
// stopped answering. The check names it; the first failed check does not page (failureThreshold 2),
// the second, five minutes later, does.

const delegation = ["ns1.example.net.", "ns2.example.net."];

export const silentNameserverPagesAfterTwoChecks = monitorTest({
  name: "website-dns-nameservers pages at the second check a nameserver misses, resolves when it answers again",
  monitor: websiteDnsNameservers,
  start: "2026-12-05T03:10:00Z",
  steps: [
    { at: "+0s", dns: { answers: delegation, latency: "12ms" } },
    { at: "+5m", dns: { answers: delegation, nameservers: { "198.51.100.53": { rcode: "TIMEOUT" } } } },
    { at: "+20m", dns: { answers: delegation } },
  ],
  expect: [
    { at: "+5m", alert: "inactive", notifications: [] },
    { at: "+10m", alert: "firing", notifications: [{ type: "trigger", destination: website }] },
    { at: "+20m", alert: "inactive", notifications: [{ type: "resolve", destination: website }] },
  ],
});
