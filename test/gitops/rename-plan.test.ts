import { describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const NOW = new Date("2026-11-23T08:00:00Z");

/** The sample project after renaming its service, team and monitor, each naming its old id. */
const renamed = () =>
  sampleManifest((d) => {
    const service = d.services[0]!;
    service.id = "card-payments";
    service.previousIds = ["payments-api"];
    service.name = "Card payments";
    d.teams[0]!.id = "payments-team";
    d.teams[0]!.previousIds = ["payments"];
    d.schedules[0]!.teams = ["payments-team"];
    d.escalationPolicies[0]!.teams = ["payments-team"];
    service.team = "payments-team";
    d.silences[0]!.matchers.services = ["card-payments"];
    const monitor = d.monitors[0]!;
    monitor.id = "card-payments-latency";
    monitor.previousIds = ["payments-api-latency"];
    monitor.service = "card-payments";
  });

async function plan() {
  return (await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target: renamed(), now: NOW })).plan;
}

describe("a rename with previousIds is a move, not a delete and a create", () => {
  test("the Pulumi program registers renamed resources with aliases naming their old logical names", async () => {
    const { resources } = await runUnderMocks(renamed());
    const aliasesOf = (name: string) => resources.find((r) => r.name === name)?.aliases;
    expect(aliasesOf("service:card-payments")).toEqual(["service:payments-api"]);
    // The integration keeps its key: it moves with its service instead of being re-created.
    expect(aliasesOf("integration:card-payments:events-v2")).toEqual(["integration:payments-api:events-v2"]);
    expect(aliasesOf("team:payments-team")).toEqual(["team:payments"]);
    expect(aliasesOf("team-membership:payments-team:alice")).toEqual(["team-membership:payments:alice"]);
    expect(aliasesOf("schedule:payments-primary")).toBeUndefined();
  });

  test("the plan shows moves with only the real property changes, and no PagerDuty object is deleted or created", async () => {
    const p = await plan();
    expect(p.summary.resources).toMatchObject({ create: 0, delete: 0, replace: 0 });
    const service = p.resources.find((r) => r.name === "service:card-payments");
    expect(service).toMatchObject({ action: "move", from: "service:payments-api", type: "pagerduty:index/service:Service" });
    // References to the moved team read under its new name, so only the name itself changed.
    expect(service!.changes).toEqual([{ path: "name", before: "Payments API", after: "Card payments" }]);
    expect(p.resources.find((r) => r.name === "integration:card-payments:events-v2")).toMatchObject({ action: "move", changes: [] });
    expect(p.resources.find((r) => r.name === "team-membership:payments-team:bob")).toMatchObject({ action: "move", from: "team-membership:payments:bob" });
    // The maintenance window and the schedule refer to the moved objects, whose PagerDuty ids stay.
    expect(p.resources.map((r) => r.name)).not.toContain("maintenance-window:db-upgrade");
    expect(p.resources.map((r) => r.name)).not.toContain("schedule:payments-primary");
    expect(p.warnings.map((w) => w.code)).not.toContain("service-deleted");
  });

  test("a renamed monitor moves, listing what else changed and not its bookkeeping", async () => {
    const p = await plan();
    expect(p.monitors).toEqual([
      {
        id: "card-payments-latency",
        action: "move",
        from: "payments-api-latency",
        changes: [{ path: "service", before: "payments-api", after: "card-payments" }],
      },
    ]);
    expect(p.summary.monitors).toEqual({ add: 0, change: 0, remove: 0, move: 1 });
  });

  test("text and Markdown say moved from the old name", async () => {
    const p = await plan();
    const text = renderText(p, { color: false });
    expect(text).toContain("> card-payments-latency (moved from payments-api-latency)");
    expect(text).toContain("> service:card-payments Service (moved from service:payments-api)");
    expect(text).toContain("Monitors: 0 to add, 0 to change, 0 to remove, 1 to move");
    expect(text).not.toMatch(/^\s+- service:payments-api/m);
    const markdown = renderMarkdown(p);
    expect(markdown).toContain("- 1 monitor(s) move to a new id");
    expect(markdown).toContain("! card-payments-latency (moved from payments-api-latency)");
  });

  test("once deployed, keeping previousIds in the source plans nothing", async () => {
    const deployed = renamed();
    const again = await buildPlan({ base: deployed, baseSource: { kind: "file", ref: "deployed.json" }, target: renamed(), now: NOW });
    expect(again.plan.changesPresent).toBe(false);
  });

  test("a previous id that is still in the base is not a move: both stay what they are", async () => {
    const target = sampleManifest((d) => {
      d.monitors.push({ ...d.monitors[0]!, id: "copy-of-latency", previousIds: ["payments-api-latency"] });
    });
    const p = (await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "x" }, target, now: NOW })).plan;
    expect(p.monitors.map((m) => [m.id, m.action])).toEqual([["copy-of-latency", "add"]]);
  });
});
