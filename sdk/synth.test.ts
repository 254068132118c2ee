import { describe, expect, it } from "vitest";
import {
  channel,
  check,
  collectConstructs,
  config,
  escalationPolicy,
  monitor,
  schedule,
  secret,
  service,
  synthesize,
  user,
} from "./index.js";
import { parseManifest, sealManifest } from "./manifest/index.js";

const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
const bob = user({ id: "bob", name: "Bob", email: "bob@example.com" });
const rotation = schedule({
  id: "payments-rotation",
  timeZone: "Europe/Berlin",
  layers: [{ start: "2026-01-05T09:00:00+01:00", rotation: "1w", users: [alice, bob], restrictions: [{ daily: { start: "9:00", duration: "8h" } }] }],
});
const policy = escalationPolicy({ id: "payments-ep", rules: [{ delay: "15m", targets: [rotation] }, { delay: "15m", targets: [bob] }] });
const payments = service({ id: "payments", escalationPolicy: policy });
const slack = channel.slack({ id: "slack-payments", webhookUrl: secret("SLACK_WEBHOOK") });
const latency = monitor({
  id: "payments-latency",
  schedule: { every: "30s" },
  check: check.http({ url: "https://pay.example.com/health", headers: { authorization: secret("API_TOKEN") } }),
  condition: (r) => (r.value ?? 0) > 500,
  severity: "critical",
  service: payments,
  channels: [slack],
});

function build() {
  return synthesize({
    config: config({ name: "demo", secrets: ["SLACK_WEBHOOK", "API_TOKEN"] }),
    constructs: collectConstructs([latency]),
    sourceOf: (c) => `x.ts:${c.id.length}`,
  });
}

describe("synthesize", () => {
  it("follows references so an exported monitor brings its service, policy, schedule, users and channels", () => {
    const m = build();
    expect(m.monitors.map((x) => x.id)).toEqual(["payments-latency"]);
    expect(m.services[0]!.escalationPolicy).toBe("payments-ep");
    expect(m.escalationPolicies[0]!.rules[0]!.targets).toEqual([{ type: "schedule", id: "payments-rotation" }]);
    expect(m.users.map((u) => u.id)).toEqual(["alice", "bob"]);
    expect(m.channels[0]!.kind).toBe("slack");
    expect(m.schedules[0]!.layers[0]!.restrictions[0]!.startTimeOfDay).toBe("09:00:00");
  });

  it("produces a manifest the schema accepts, with secrets as names only", () => {
    const parsed = parseManifest(sealManifest(build()));
    expect(parsed.ok).toBe(true);
    const text = JSON.stringify(build());
    expect(text).toContain('"secret":"API_TOKEN"');
    expect(build().monitors[0]!.code.condition).toBe(true);
  });

  it("is deterministic: same input, same hash", () => {
    expect(sealManifest(build()).hash).toBe(sealManifest(build()).hash);
  });

  it("refuses a manifest from another apiVersion with the reason", () => {
    const result = parseManifest({ ...sealManifest(build()), apiVersion: "watchkeeper.dev/v2" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/unsupported manifest apiVersion "watchkeeper.dev\/v2"/);
  });

  it("writes a certificate key minimum only when the monitor sets one, filling the size it leaves out", () => {
    const withKey = (tlsMinKey?: { rsa?: number; ec?: number } | false) =>
      synthesize({
        config: config({ name: "demo" }),
        constructs: collectConstructs([
          monitor({ id: "site", schedule: { every: "1m" }, check: check.http({ url: "https://example.com/", expect: { tlsExpiryWithin: "14d", ...(tlsMinKey === undefined ? {} : { tlsMinKey }) } }) }),
        ]),
        sourceOf: () => "x.ts:1",
      });
    const expectOf = (m: ReturnType<typeof withKey>) => (m.monitors[0]!.check as { expect: Record<string, unknown> }).expect;
    expect("tlsMinKey" in expectOf(withKey())).toBe(false);
    expect(expectOf(withKey({ rsa: 3072 })).tlsMinKey).toEqual({ rsa: 3072, ec: 256 });
    expect(expectOf(withKey(false)).tlsMinKey).toBe(false);
    expect(parseManifest(sealManifest(withKey({ ec: 384 }))).ok).toBe(true);
  });
});
