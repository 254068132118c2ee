import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../sdk/result.js";
import { observe } from "../../runtime/evaluate/observe.js";
import { monitorSpec } from "../runtime/support/manifest.js";

function result(labels: Record<string, string>, over: Partial<CheckResult> = {}): CheckResult {
  return { ok: false, value: 1, message: "down", labels, details: {}, durationMs: 2, ...over };
}

describe("label sets a check returns", () => {
  it("a label value of 1 MB errors the evaluation, naming the label and the limit, instead of being stored with every result and paged", () => {
    const m = monitorSpec({ id: "api" });
    const [o, ...rest] = observe({ kind: "results", results: [result({ host: "a" }), result({ query: "x".repeat(1024 * 1024) })] }, m, undefined, []);
    expect(rest).toEqual([]);
    expect(o!.error?.reason).toBe("labels-too-large");
    expect(o!.error?.message).toMatch(/label query is 1048576 characters/);
    expect(o!.error?.message).toMatch(/16384/);
    expect(JSON.stringify(o).length).toBeLessThan(4_000);
  });

  it("10,000 label sets of ordinary size are each judged, quickly", () => {
    const m = monitorSpec({ id: "api", threshold: { op: ">", value: 5 } });
    const results = Array.from({ length: 10_000 }, (_, i) => result({ instance: `host-${i}:9100`, job: "node" }, { ok: true, value: i % 10 }));
    const started = performance.now();
    const judged = observe({ kind: "results", results }, m, undefined, []);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(judged).toHaveLength(10_000);
    expect(judged.filter((o) => o.firing)).toHaveLength(4_000);
  });

  it("NaN and infinite values are compared as PromQL compares them", () => {
    const m = monitorSpec({ id: "api", threshold: { op: ">", value: 5 } });
    const judged = observe({ kind: "results", results: [NaN, Infinity, -Infinity].map((value, i) => result({ i: String(i) }, { ok: true, value })) }, m, undefined, []);
    expect(judged.map((o) => o.firing)).toEqual([false, true, false]);
  });
});
