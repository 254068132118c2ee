import { beforeAll, describe, expect, it } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import type { CompileResult, Diagnostic } from "../../cli/compiler/index.js";
import { compileFixture } from "../compiler/support.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const byCode = (r: CompileResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);
const NOW = new Date("2026-11-23T08:00:00Z");

/** The sample project adopting an existing PagerDuty service and schedule instead of creating them. */
const adopting = () =>
  sampleManifest((d) => {
    d.services[0]!.pagerdutyId = "PSVC001";
    d.schedules[0]!.pagerdutyId = "PSCH001";
  });

describe("adopting an existing PagerDuty object with pagerdutyId", () => {
  it("registers the resource with Pulumi's import option set to the PagerDuty id", async () => {
    const { resources } = await runUnderMocks(adopting());
    const importOf = (name: string) => resources.find((r) => r.name === name)?.importId;
    expect(importOf("service:payments-api")).toBe("PSVC001");
    expect(importOf("schedule:payments-primary")).toBe("PSCH001");
    // Watchkeeper's own Events API integration is still created on the adopted service.
    expect(importOf("integration:payments-api:events-v2")).toBeUndefined();
    expect(importOf("team:payments")).toBeUndefined();
  });

  it("plans an import, not a create, when the object is not yet in the deployed stack", async () => {
    const { plan } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target: adopting(), now: NOW });
    const service = plan.resources.find((r) => r.name === "service:payments-api")!;
    expect(service).toMatchObject({ action: "import", importId: "PSVC001" });
    expect(service.changes).toContainEqual({ path: "name", after: "Payments API" });
    expect(plan.resources.find((r) => r.name === "integration:payments-api:events-v2")?.action).toBe("create");
    expect(plan.summary.resources).toMatchObject({ import: 2, create: 8 });
    const text = renderText(plan, { color: false });
    expect(text).toContain("< service:payments-api Service (imported: existing PagerDuty object PSVC001)");
    expect(text).toContain("2 to import");
    const markdown = renderMarkdown(plan);
    expect(markdown).toContain("- 2 existing PagerDuty object(s) are imported (adopted, not created)");
    expect(markdown).toContain("+ service:payments-api (Service) (imported: existing PagerDuty object PSVC001)");
  });

  it("plans nothing for an object already adopted: keeping pagerdutyId in the source is harmless", async () => {
    const { plan } = await buildPlan({ base: adopting(), baseSource: { kind: "file", ref: "deployed.json" }, target: adopting(), now: NOW });
    expect(plan.changesPresent).toBe(false);
  });

  it("plans an adopted object that is already deployed as an ordinary update", async () => {
    const target = sampleManifest((d) => {
      d.services[0]!.pagerdutyId = "PSVC001";
      d.services[0]!.description = "Card payments (adopted)";
    });
    const { plan } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target, now: NOW });
    expect(plan.resources.map((r) => [r.name, r.action])).toEqual([["service:payments-api", "update"]]);
  });
});

describe("pagerduty-ids: what can be checked offline about an adopted object", () => {
  let found: Diagnostic[];
  beforeAll(async () => void (found = byCode((await compileFixture("rule-pagerduty-ids")).result, "pagerduty-ids")));

  it("refuses an id that is not shaped like a PagerDuty id (a name pasted instead), at its line", () => {
    const d = found.find((x) => x.message.includes('escalation policy "web-ep"'));
    expect(d).toMatchObject({ severity: "error", file: "policies/oncall.ts", line: 12 });
    expect(d!.message).toMatch(/"Web escalation" is not a PagerDuty id/);
  });

  it("refuses one id adopted as two kinds of object, at both definitions: one of them names the wrong type", () => {
    const service = found.find((x) => x.message.startsWith('service "api"'));
    expect(service).toMatchObject({ file: "policies/oncall.ts", line: 16 });
    expect(service!.message).toMatch(/adopts PSCHED1, which schedule "primary" \(policies\/oncall\.ts:6\) also adopts; objects of different kinds cannot share an id/);
    const schedule = found.find((x) => x.message.startsWith('schedule "primary"'));
    expect(schedule).toMatchObject({ file: "policies/oncall.ts", line: 6 });
    expect(found).toHaveLength(3);
  });
});
