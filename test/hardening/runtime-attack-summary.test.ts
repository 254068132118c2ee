import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../sdk/result.js";
import { renderSummary, SUMMARY_MAX } from "../../runtime/evaluate/summary.js";
import { monitorSpec } from "../runtime/support/manifest.js";

function result(over: Partial<CheckResult>): CheckResult {
  return { ok: false, value: 1, message: "down", labels: {}, details: {}, durationMs: 1, ...over };
}

describe("summary templates with hostile check output", () => {
  it("template syntax inside a value is printed as it is, never filled in a second time", () => {
    const monitor = monitorSpec({ id: "api", summary: "{{message}} on {{labels.host}} ({{value}})" });
    const text = renderSummary(monitor, result({ message: "{{id}} {{labels.host}} {{ name }}", labels: { host: "{{severity}}" } }), undefined);
    expect(text).toBe("{{id}} {{labels.host}} {{ name }} on {{severity}} (1)");
  });

  it("a label the result lacks is empty, even when its name is one every JavaScript object has", () => {
    const monitor = monitorSpec({ id: "api", summary: "[{{labels.constructor}}][{{labels.toString}}][{{labels.__proto__}}][{{labels.hasOwnProperty}}]" });
    expect(renderSummary(monitor, result({}), undefined)).toBe("[][][][]");
    // A label that is there by that name is still shown.
    expect(renderSummary(monitor, result({ labels: { constructor: "c1" } }), undefined)).toBe("[c1][][][]");
  });

  it("NaN and infinite values print as Prometheus prints them", () => {
    const monitor = monitorSpec({ id: "api", summary: "{{value}}" });
    expect([NaN, Infinity, -Infinity, 0.5].map((value) => renderSummary(monitor, result({ value }), undefined))).toEqual(["NaN", "+Inf", "-Inf", "0.5"]);
  });

  it("megabytes of message and label values are cut to the summary limit, quickly", () => {
    const monitor = monitorSpec({ id: "api", summary: "{{message}} {{labels.x}}" });
    const huge = "é\u202e{{name}} ".repeat(200_000);
    const started = performance.now();
    const text = renderSummary(monitor, result({ message: huge, labels: { x: huge } }), undefined);
    // Folding the whitespace of all of it took about half a second per value; the cut takes a few
    // milliseconds, and a loaded CI machine must not turn that into a failure.
    expect(performance.now() - started).toBeLessThan(400);
    expect(text.length).toBeLessThanOrEqual(SUMMARY_MAX);
  });
});
