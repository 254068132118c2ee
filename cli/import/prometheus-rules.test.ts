import { describe, expect, it } from "vitest";
import { parseRulesFile, promDurationMs } from "./prometheus-rules.js";

describe("reading a Prometheus rules file", () => {
  it("an alias stands for its anchor, as Prometheus's YAML reader has it", () => {
    const parsed = parseRulesFile(
      "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: &common\n          team: x\n      - alert: B\n        expr: up == 0\n        labels: *common\n",
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const b = parsed.groups[0]!.rules[1]!;
    expect(Object.fromEntries([...b.labels].map(([k, v]) => [k, v.value]))).toEqual({ team: "x" });
  });

  it("an empty file has no groups; several documents are refused at the second one", () => {
    expect(parseRulesFile("")).toEqual({ ok: true, groups: [] });
    expect(parseRulesFile("# only a comment\n")).toEqual({ ok: true, groups: [] });
    const two = parseRulesFile("groups: []\n---\ngroups: []\n");
    expect(two.ok).toBe(false);
    if (!two.ok) expect(two.problems[0]!.at.line).toBe(2);
  });

  it("values keep their written form (tier: 1.0 stays 1.0) and positions point at them", () => {
    const parsed = parseRulesFile("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels:\n          tier: 1.0\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const rule = parsed.groups[0]!.rules[0]!;
    expect(rule.labels.get("tier")).toEqual({ value: "1.0", at: { line: 7, column: 17 } });
  });

  it("durations as Prometheus writes them", () => {
    expect(promDurationMs("1h30m")).toBe(5_400_000);
    expect(promDurationMs("0")).toBe(0);
    expect(promDurationMs("1y2w")).toBe((365 + 14) * 86_400_000);
    expect(promDurationMs("30m1h")).toBeUndefined();
    expect(promDurationMs("5 minutes")).toBeUndefined();
  });
});
