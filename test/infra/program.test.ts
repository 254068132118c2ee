import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { resourceType } from "../../infra/program/names.js";
import { runUnderMocks, type RegisteredResource } from "../../cli/plan/mock-run.js";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { diffResources } from "../../cli/plan/resource-diff.js";
import { sampleManifest } from "./sample-manifest.js";

function find(resources: RegisteredResource[], name: string): Record<string, unknown> {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}; have ${resources.map((r) => r.name).join(", ")}`);
  return found.inputs;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

describe("the Pulumi program under mocks", () => {
  test("declares exactly the resources the manifest implies, named by stable ids", async () => {
    const { resources } = await runUnderMocks(sampleManifest());
    expect(resources.map((r) => `${r.type.split(":").pop()} ${r.name}`).sort()).toEqual([
      "EscalationPolicy escalation-policy:payments-escalation",
      "MaintenanceWindow maintenance-window:db-upgrade",
      "Schedule schedule:payments-primary",
      "Service service:payments-api",
      "ServiceIntegration integration:payments-api:events-v2",
      "Team team:payments",
      "TeamMembership team-membership:payments:alice",
      "TeamMembership team-membership:payments:bob",
      "User user:alice",
      "WebhookSubscription webhook-subscription:runtime",
    ]);
  });

  test("creates new users and looks existing ones up by email instead of managing them", async () => {
    const { resources } = await runUnderMocks(sampleManifest());
    expect(find(resources, "user:alice")).toMatchObject({ email: "alice@example.test", name: "Alice Adams", role: "user", timeZone: "Europe/Berlin" });
    expect(resources.some((r) => r.name === "user:bob")).toBe(false);
    expect(find(resources, "team-membership:payments:bob")).toEqual({ teamId: "team:payments", userId: "existing-user:bob@example.test", role: "responder" });
    expect(find(resources, "team:payments")).toEqual({ name: "Payments", description: "Payments team" });
  });

  test("wires service -> escalation policy -> schedule -> users", async () => {
    const { resources } = await runUnderMocks(sampleManifest());
    expect(find(resources, "service:payments-api")["escalationPolicy"]).toBe("escalation-policy:payments-escalation");
    const policy = find(resources, "escalation-policy:payments-escalation");
    expect(policy).toMatchObject({ name: "Payments escalation", numLoops: 2, teams: "team:payments" });
    expect(policy["rules"]).toEqual([
      { escalationDelayInMinutes: 10, targets: [{ type: "schedule_reference", id: "schedule:payments-primary" }] },
      { escalationDelayInMinutes: 15, targets: [{ type: "user_reference", id: "user:alice" }] },
    ]);
    const schedule = find(resources, "schedule:payments-primary");
    expect(schedule).toMatchObject({ name: "Payments primary", timeZone: "Europe/Berlin", teams: ["team:payments"] });
    expect((schedule["layers"] as Record<string, unknown>[])[0]).toMatchObject({
      name: "Weekly",
      rotationTurnLengthSeconds: 604800,
      users: ["user:alice", "existing-user:bob@example.test"],
    });
    expect(find(resources, "integration:payments-api:events-v2")).toEqual({
      name: "Watchkeeper (Events API v2)",
      service: "service:payments-api",
      type: "events_api_v2_inbound_integration",
    });
  });

  test("maps schedule restrictions: daily without a day, weekly with its start day, lengths in seconds", async () => {
    const manifest = sampleManifest((d) => {
      d.schedules[0]!.layers[0]!.end = "2027-01-01T00:00:00Z";
      d.schedules[0]!.layers[0]!.restrictions = [
        { type: "daily_restriction", startTimeOfDay: "09:00:00", duration: "8h", startDayOfWeek: 3 },
        { type: "weekly_restriction", startTimeOfDay: "18:00:00", duration: "2d", startDayOfWeek: 5 },
      ];
    });
    const layer = (find((await runUnderMocks(manifest)).resources, "schedule:payments-primary")["layers"] as Record<string, unknown>[])[0]!;
    expect(layer["end"]).toBe("2027-01-01T00:00:00Z");
    expect(layer["restrictions"]).toEqual([
      { type: "daily_restriction", startTimeOfDay: "09:00:00", durationSeconds: 28800 },
      { type: "weekly_restriction", startTimeOfDay: "18:00:00", durationSeconds: 172800, startDayOfWeek: 5 },
    ]);
  });

  test("maps urgency, timeouts (seconds or \"null\") and alert grouping onto the service", async () => {
    const { resources } = await runUnderMocks(sampleManifest());
    expect(find(resources, "service:payments-api")).toEqual({
      name: "Payments API",
      description: "Card payments",
      escalationPolicy: "escalation-policy:payments-escalation",
      incidentUrgencyRule: { type: "constant", urgency: "severity_based" },
      autoResolveTimeout: "14400",
      acknowledgementTimeout: "null",
      alertCreation: "create_alerts_and_incidents",
      alertGroupingParameters: { type: "time", config: { timeout: 10 } },
    });
    const contentBased = sampleManifest((d) => {
      d.services[0]!.urgency = "high";
      d.services[0]!.acknowledgementTimeout = "30m";
      d.services[0]!.alertGrouping = { type: "content_based", timeout: null };
    });
    expect(find((await runUnderMocks(contentBased)).resources, "service:payments-api")).toMatchObject({
      incidentUrgencyRule: { type: "constant", urgency: "high" },
      acknowledgementTimeout: "1800",
      alertGroupingParameters: { type: "content_based", config: { aggregate: "all", fields: ["summary", "source"] } },
    });
  });

  test("turns maintenance silences on services into windows and subscribes the runtime's webhook", async () => {
    const { resources } = await runUnderMocks(sampleManifest());
    expect(find(resources, "maintenance-window:db-upgrade")).toEqual({
      startTime: "2026-12-01T02:00:00Z",
      endTime: "2026-12-01T04:00:00Z",
      description: "Database upgrade",
      services: ["service:payments-api"],
    });
    const hook = find(resources, "webhook-subscription:runtime");
    expect(hook["deliveryMethods"]).toEqual([{ type: "http_delivery_method", url: "https://wk.example.test/webhooks/pagerduty" }]);
    expect(hook["filters"]).toEqual([{ type: "account_reference" }]);
    expect(hook["events"]).toContain("incident.acknowledged");
  });

  test("leaves out the webhook without a public URL and windows for silences that name no service", async () => {
    const manifest = sampleManifest((d) => {
      d.settings.publicUrl = null;
      d.silences[0]!.matchers = { monitors: ["payments-api-latency"], services: [], labels: {} };
      d.silences.push({ ...d.silences[0]!, id: "quiet", kind: "silence", matchers: { monitors: [], services: ["payments-api"], labels: {} } });
    });
    const { resources } = await runUnderMocks(manifest);
    expect(resources.filter((r) => r.type === resourceType.webhookSubscription || r.type === resourceType.maintenanceWindow)).toEqual([]);
  });

  test("exports the integration keys as one secret output keyed by service id", async () => {
    const run = await runUnderMocks(sampleManifest(), "canary-routing-key");
    expect(await pulumi.isSecret(run.outputs.routingKeys)).toBe(true);
    expect(await valueOf(run.outputs.routingKeys)).toEqual({ "payments-api": "canary-routing-key" });
    expect(run.outputs.manifestHash).toBe(sampleManifest().hash);
  });

  test("exports the PagerDuty service IDs by service id, in the clear, for the REST incident channel", async () => {
    const run = await runUnderMocks(sampleManifest(), "canary-routing-key");
    expect(await pulumi.isSecret(run.outputs.serviceIds)).toBe(false);
    expect(Object.keys(await valueOf(run.outputs.serviceIds))).toEqual(["payments-api"]);
  });

  test("moving definitions to other files changes nothing in the plan", async () => {
    const base = sampleManifest();
    const moved = sampleManifest((d) => {
      for (const list of [d.monitors, d.users, d.teams, d.schedules, d.escalationPolicies, d.services, d.silences]) {
        for (const entry of list) entry.source = `moved/${entry.source}`;
      }
    });
    expect(moved.hash).not.toBe(base.hash);
    // The program itself registers the same resources with the same inputs...
    expect(diffResources((await runUnderMocks(base)).resources, (await runUnderMocks(moved)).resources)).toEqual([]);
    // ...and the plan shows nothing.
    const { plan } = await buildPlan({ base, baseSource: { kind: "file", ref: "deployed-manifest.json" }, target: moved, now: new Date("2026-11-21T00:00:00Z") });
    expect(plan.changesPresent).toBe(false);
    expect(plan.resources).toEqual([]);
    expect(plan.monitors).toEqual([]);
  });
});
