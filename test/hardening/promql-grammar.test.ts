import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { promqlProblem } from "../../cli/rules/valid-promql.js";
import { NOW } from "../compiler/support.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Queries people really alert on: none may be refused by `wk validate`. */
const REAL_WORLD = [
  "rate(x[5m])",
  "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
  'sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.05',
  "x offset 5m",
  "x offset -1h",
  "x @ 1609746000",
  "x @ start()",
  "rate(x[5m] @ end())",
  "max_over_time(deriv(rate(distance_covered_total[5s])[30s:5s])[10m:])",
  "x[1h:]",
  "up == 0 and on() vector(1)",
  "x / ignoring(code) group_left y",
  "x unless on(instance) y",
  "vector(1)",
  'absent(up{job="api"})',
  'absent_over_time(up{job="api"}[10m])',
  'label_replace(up, "host", "$1", "instance", "(.*):\\\\d+")',
  'label_join(up, "id", "-", "job", "instance")',
  "sum without (instance) (x) > bool 3",
  "topk(3, x)",
  'count_values("version", build_info)',
  "quantile_over_time(0.9, x[1h])",
  "time() - process_start_time_seconds > 300",
  '{__name__=~"job:.*"}',
  "foo_bar:baz:rate5m",
  "predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600) < 0",
  "sum(rate(x[1m]))by(job)",
  'x{a="b",}',
  "-x",
  "x > NaN",
  "1e3 < x",
  "x # a comment",
  '"a string"',
  "`raw string`",
  'up{job="a\\"b"}',
];

describe("PromQL grammar rule", () => {
  it("accepts real-world alerting queries: offsets, @, subqueries, and on(), vector(), absent(), label_replace, strings", () => {
    for (const query of REAL_WORLD) expect({ query, problem: promqlProblem(query) }).toEqual({ query, problem: null });
  });

  it("reports where a broken query stops parsing, by line and column of the query", () => {
    expect(promqlProblem("sum((")).toMatchObject({ line: 1, column: 6, problem: "the query ends too early" });
    expect(promqlProblem("foo bar")).toMatchObject({ line: 1, column: 5, problem: 'unexpected "bar"' });
    expect(promqlProblem("rate(x[5m]) >\n  )")).toMatchObject({ line: 2, column: 3, problem: 'unexpected ")"' });
    expect(promqlProblem('up{job="x}')).toMatchObject({ problem: "a string is not closed" });
    expect(promqlProblem("   ")).toMatchObject({ problem: "the query is empty" });
  });

  it("finds no PromQL problem in this repository's own monitors", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "wk-promql-"));
    try {
      const { diagnostics } = await compileProject({ projectDir: REPO, outDir: path.join(out, "watchkeeper"), now: NOW });
      expect(diagnostics.filter((d) => d.code === "valid-promql")).toEqual([]);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
