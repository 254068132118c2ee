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

  it("refuses a file whose aliases would expand beyond any rules file (a billion laughs) at once, at the alias", () => {
    const levels = "abcdef".split("");
    const lines = levels.map((name, i) => `${name}: &${name} [${i === 0 ? Array(9).fill('"lol"').join(",") : Array(9).fill(`*${levels[i - 1]}`).join(",")}]`);
    const started = performance.now();
    const parsed = parseRulesFile(`${lines.join("\n")}\ngroups: *f\n`);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toContainEqual({ at: expect.objectContaining({ line: expect.any(Number) }), message: expect.stringMatching(/^aliases expand to more than [\d,]+ YAML nodes/) });
  }, 30_000);

  it("refuses an anchor that contains its own alias instead of expanding it without end", () => {
    const parsed = parseRulesFile("a: &a [1, *a]\ngroups: []\n");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toEqual([{ at: { line: 1, column: 11 }, message: "alias *a stands inside its own anchor &a, which would never end" }]);
  }, 30_000);

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
