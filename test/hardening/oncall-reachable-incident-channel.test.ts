import { describe, expect, it } from "vitest";
import type { ChannelSpec, UserSpec } from "../../sdk/manifest/schema.js";
import { reachableOnCall } from "../../cli/rules/reachable-on-call.js";
import { manifestOf, monitorSpec, policySpec, serviceSpec, userSpec } from "../support/oncall-manifest.js";

// Email only: at 3 a.m. nobody wakes up for it.
const mailOnly: UserSpec = {
  ...userSpec("ana", "Ana Lima"),
  contactMethods: [{ id: "work", type: "email", address: "ana@example.com", countryCode: null, label: "Work", sendShortEmail: false }],
  notificationRules: [{ contactMethod: "work", urgency: "high", startDelayInMinutes: 0 }],
};

function incidentChannel(urgency: "high" | "low"): ChannelSpec {
  return { id: "panic-incident", kind: "pagerdutyIncident", token: { secret: "PD_TOKEN" }, from: "wk@example.com", service: "checkout", urgency, baseUrl: null, groupWait: null, groupInterval: null, rateLimitPerMinute: null, source: "policies/channels.ts:1" };
}

function check(urgency: "high" | "low") {
  const manifest = manifestOf({
    users: [mailOnly],
    escalationPolicies: [policySpec("checkout-ep", 0, [["15m", ["ana"]]])],
    services: [serviceSpec("checkout", "checkout-ep")],
    // A critical emergency page that opens a REST incident instead of naming a service.
    monitors: [monitorSpec({ id: "panic", severity: "critical", service: null, channels: ["panic-incident"] })],
    channels: [incidentChannel(urgency)],
  });
  return reachableOnCall({ manifest, config: { name: "t" } as never, sources: new Map(), now: new Date("2026-03-01T00:00:00Z"), locate: () => ({ file: "policies/people.ts", line: 1, column: 1 }) });
}

describe("reachable-on-call", () => {
  it("judges the responders of a service a critical monitor pages through a REST incident channel", () => {
    expect(check("high").map((d) => d.message)).toEqual([expect.stringMatching(/user "ana" can be paged for critical service "checkout"/)]);
  });

  it("leaves a low-urgency incident channel alone: PagerDuty does not ring for it", () => {
    expect(check("low")).toEqual([]);
  });
});
