import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildPlan, diffPlan } from "../../cli/plan/build-plan.js";
import { baseFromFile } from "../../cli/plan/base-source.js";
import { uncoveredHours } from "../../cli/plan/coverage.js";
import { diffResources } from "../../cli/plan/resource-diff.js";
import { renderJson } from "../../cli/plan/render-json.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import { UserError } from "../../cli/errors.js";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const now = new Date("2026-11-23T00:00:00Z");
const fromFile = { kind: "file" as const, ref: "deployed-manifest.json" };
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("planner rules", () => {
  test("a change to a property that forces a new resource is a replace, with the reason", () => {
    const type = "pagerduty:index/serviceIntegration:ServiceIntegration";
    const changes = diffResources(
      [{ type, name: "integration:a:events-v2", inputs: { service: "service:a", type: "events_api_v2_inbound_integration", name: "x" } }],
      [{ type, name: "integration:a:events-v2", inputs: { service: "service:b", type: "events_api_v2_inbound_integration", name: "y" } }],
    );
    expect(changes).toEqual([
      {
        name: "integration:a:events-v2",
        type,
        action: "replace",
        changes: [
          { path: "name", before: "x", after: "y" },
          { path: "service", before: "service:a", after: "service:b" },
        ],
        replaceBecause: ["service"],
      },
    ]);
  });

  test("renders a replacement with its reason, and keeps values from breaking the Markdown fence", () => {
    const type = "pagerduty:index/serviceIntegration:ServiceIntegration";
    const base = sampleManifest();
    const target = sampleManifest((d) => (d.monitors[0]!.summary = "```\n# injected"));
    const plan = diffPlan(
      { base, baseSource: fromFile, target, now },
      [{ type, name: "integration:a:events-v2", inputs: { service: "service:a", type: "events_api_v2_inbound_integration" } }],
      [{ type, name: "integration:a:events-v2", inputs: { service: "service:b", type: "events_api_v2_inbound_integration" } }],
    );
    const md = renderMarkdown(plan);
    expect(md).toContain("-/+ integration:a:events-v2 (ServiceIntegration) (replaced because service changed)");
    expect(md).toContain('!     service: "service:a" -> "service:b"');
    expect(md.match(/```/g)).toHaveLength(4); // two folded sections, each one fence pair
    expect(renderText(plan, { color: false })).toContain("  -/+ integration:a:events-v2 ServiceIntegration (replaced because service changed)");
  });

  test("an empty base plans every resource as a create", async () => {
    const { plan } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target: sampleManifest(), now });
    expect(plan.summary.resources).toEqual({ create: 10, update: 0, replace: 0, delete: 0, move: 0, import: 0 });
    expect(plan.base).toEqual({ kind: "empty", ref: null, hash: null });
    expect(renderText(plan, { color: false })).toContain("against nothing (first deploy)");
  });

  test("a monitors-only change skips the mock runs, since nothing the Pulumi program reads changed", async () => {
    const target = sampleManifest((d) => (d.monitors[0]!.for = "5m"));
    const { plan, timings } = await buildPlan({ base: sampleManifest(), baseSource: fromFile, target, now });
    expect(timings.mockRuns).toBe(0);
    expect(plan.resources).toEqual([]);
    expect(plan.monitors.map((m) => m.changes)).toEqual([[{ path: "for", before: "2m", after: "5m" }]]);
    const paged = sampleManifest((d) => (d.settings.publicUrl = "https://other.example.test"));
    const { plan: hook } = await buildPlan({ base: sampleManifest(), baseSource: fromFile, target: paged, now });
    expect(hook.resources.map((r) => [r.name, r.action])).toEqual([["webhook-subscription:runtime", "update"]]);
  });

  test("warns when an escalation policy loses its last target", async () => {
    const base = sampleManifest();
    const target = sampleManifest((d) => {
      d.escalationPolicies[0]!.rules[1]!.targets = [];
    });
    const { plan } = await buildPlan({ base, baseSource: fromFile, target, now });
    expect(plan.warnings.map((w) => [w.code, w.subject])).toEqual([["escalation-policy-without-targets", "payments-escalation"]]);
  });

  test("warns when the schedule behind a service's first rule covers fewer hours", async () => {
    const base = sampleManifest();
    const target = sampleManifest((d) => {
      d.schedules[0]!.layers[0]!.restrictions = [{ type: "daily_restriction", startTimeOfDay: "09:00:00", duration: "8h", startDayOfWeek: null }];
    });
    const { plan } = await buildPlan({ base, baseSource: fromFile, target, now });
    expect(plan.warnings).toEqual([
      { code: "coverage-worse", subject: "payments-primary", message: "schedule payments-primary leaves 448 h uncovered in the next 4 weeks (was 0 h)" },
    ]);
    // Widening coverage again is not a warning.
    const { plan: back } = await buildPlan({ base: target, baseSource: fromFile, target: base, now });
    expect(back.warnings).toEqual([]);
  });

  test("coverage counts restrictions in the schedule's time zone, across a DST change", () => {
    const schedule = sampleManifest((d) => {
      d.schedules[0]!.timeZone = "America/New_York";
      d.schedules[0]!.layers[0]!.start = "2026-01-01T00:00:00Z";
      d.schedules[0]!.layers[0]!.restrictions = [{ type: "weekly_restriction", startTimeOfDay: "08:00:00", duration: "5d", startDayOfWeek: 1 }];
    }).schedules[0]!;
    // Weekdays only: 2 days a week uncovered, whatever the UTC offset does on 1 November.
    expect(uncoveredHours(schedule, new Date("2026-10-19T04:00:00Z"), 4)).toBe(4 * 48);
    const ended = { ...schedule, layers: [{ ...schedule.layers[0]!, restrictions: [], end: "2026-10-26T04:00:00Z" }] };
    expect(uncoveredHours(ended, new Date("2026-10-19T04:00:00Z"), 4)).toBe(3 * 168);
  });

  test("a base manifest from a newer watchkeeper is refused with the versions named", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-plan-base-"));
    dirs.push(dir);
    const file = join(dir, "manifest.json");
    await writeFile(file, canonicalJson({ ...sampleManifest(), apiVersion: "watchkeeper.dev/v2" }));
    const error = await baseFromFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('unsupported manifest apiVersion "watchkeeper.dev/v2"');
    expect((error as UserError).message).toContain("watchkeeper.dev/v1");
    await writeFile(file, canonicalJson(sampleManifest()));
    expect((await baseFromFile(file)).hash).toBe(sampleManifest().hash);
  });

  test("secrets never reach the plan: routing keys, tokens and secret values stay out of every format", async () => {
    const canary = "CANARY-9f1c2e7d";
    process.env["API_TOKEN"] = canary;
    process.env["PAGERDUTY_TOKEN"] = canary;
    try {
      const target = sampleManifest((d) => {
        d.services.push({ ...d.services[0]!, id: "checkout", name: "Checkout", routingKey: { secret: "PD_CHECKOUT" } });
        d.secrets.push("PD_CHECKOUT");
      });
      const { plan } = await buildPlan({ base: sampleManifest(), baseSource: fromFile, target, now, mockIntegrationKey: canary });
      const outputs = [renderText(plan, { color: true }), renderMarkdown(plan), renderJson(plan)];
      for (const out of outputs) {
        expect(out).toContain("PD_CHECKOUT");
        expect(out).not.toContain(canary);
      }
    } finally {
      delete process.env["API_TOKEN"];
      delete process.env["PAGERDUTY_TOKEN"];
    }
  });
});
