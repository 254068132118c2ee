import { describe, expect, test } from "vitest";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { renderSummary } from "../../cli/plan/render-summary.js";
import { renderText } from "../../cli/plan/render-text.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";

const now = new Date("2026-11-21T00:00:00Z");

describe("wk plan --summary (what npm start prints)", () => {
  test("counts per kind of resource and change in a few lines, however many resources change", () => {
    const target = sampleManifest((d) => {
      for (let i = 0; i < 200; i++) d.monitors.push(sampleMonitor(`bulk-${i}`));
    });
    const p = diffPlan({ base: null, baseSource: { kind: "empty", ref: null }, target, now }, [], []);
    const full = renderText(p, { color: false });
    const summary = renderSummary(p);
    expect(full.split("\n").length).toBeGreaterThan(200);
    const lines = summary.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(summary).toMatch(/Monitors: \d+ to add/);
    expect(summary).not.toContain("bulk-");
    expect(lines.at(-1)).toMatch(/Plan token: wkp_/);
  });
});
