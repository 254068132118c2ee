import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { planProject } from "../../cli/plan/plan-project.js";
import { COMMENT_LIMIT, PLAN_COMMENT_MARKER, renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";
import { FixtureRepo, compileFixture } from "./git-fixture.js";

const now = new Date("2026-11-21T00:00:00Z");
const fromFile = { kind: "file" as const, ref: "deployed-manifest.json" };
const plan = (base: Manifest, target: Manifest) => diffPlan({ base, baseSource: fromFile, target, now }, [], []);
const repos: FixtureRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.remove();
});

describe("a plan people read", () => {
  test("a removed monitor is one line, in the terminal and in the comment", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors = [])));
    const text = renderText(p, { color: false });
    const md = renderMarkdown(p);
    expect(text.split("\n").filter((l) => l.includes("payments-api-latency"))).toEqual(["  - payments-api-latency"]);
    expect(text.split("\n").filter((l) => l.startsWith("      "))).toEqual([]);
    const fenced = md.slice(md.indexOf("```diff") + 8, md.lastIndexOf("```")).trim();
    expect(fenced).toBe("- payments-api-latency");
  });

  test("an added monitor shows what it does, not the code flags, hashes or unset fields", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => d.monitors.push(sampleMonitor("checkout-errors", { codeHash: "sha256:77" }))));
    for (const out of [renderText(p, { color: false }), renderMarkdown(p)]) {
      expect(out).toContain("checkout-errors");
      expect(out).toContain("schedule.expression");
      expect(out).not.toMatch(/code\.(condition|summary|run|extract)/);
      expect(out).not.toContain("codeHash");
      expect(out).not.toContain("sha256:77");
      expect(out).not.toMatch(/: null$/m);
    }
  });

  test("a changed summary template shows a source diff, not a hash or a JSON string pair", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.summary = "{{monitor}} failed: p99 {{value}} ms")));
    const text = renderText(p, { color: false });
    expect(text).toContain("      summary:\n        - {{monitor}} failed\n        + {{monitor}} failed: p99 {{value}} ms");
    const md = renderMarkdown(p);
    expect(md).toMatch(/^- +\{\{monitor\}\} failed$/m);
    expect(md).toMatch(/^\+ +\{\{monitor\}\} failed: p99 \{\{value\}\} ms$/m);
  });

  test("a changed condition shows the source diff of the function, read from both commits", async () => {
    const r = new FixtureRepo();
    repos.push(r);
    const monitorFile = (threshold: number) => `import { check, monitor } from "watchkeeper";

export const latency = monitor({
  id: "payments-api-latency",
  schedule: "*/5 * * * *",
  check: check.http({ url: "https://payments.example.test/health" }),
  condition: (result) => {
    const p99 = result.timings.total;
    return p99 > ${threshold};
  },
});
`;
    const withCode = (hash: string) =>
      sampleManifest((d) => {
        d.monitors[0]!.code = { condition: true, summary: false, run: false, extract: false };
        d.monitors[0]!.codeHash = hash;
        d.monitors[0]!.source = "monitors/latency.ts:3";
      });
    mkdirSync(join(r.dir, "monitors"));
    writeFileSync(join(r.dir, "monitors/latency.ts"), monitorFile(500));
    r.write(withCode("sha256:a"));
    r.commit("base");
    writeFileSync(join(r.dir, "monitors/latency.ts"), monitorFile(800));
    r.write(withCode("sha256:b"));
    const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: compileFixture, now });
    if (!result.ok) throw new Error("head did not compile");
    expect(result.plan.monitors[0]!.code).toEqual([
      {
        slot: "condition",
        before: "(result) => {\n  const p99 = result.timings.total;\n  return p99 > 500;\n}",
        after: "(result) => {\n  const p99 = result.timings.total;\n  return p99 > 800;\n}",
      },
    ]);
    const text = renderText(result.plan, { color: false });
    expect(text).toContain("      condition (changed):\n");
    expect(text).toContain("        -   return p99 > 500;\n        +   return p99 > 800;");
    expect(text).not.toContain("sha256:");
    // Against a manifest only, the source of the base is unknown: said in words, still no hashes.
    const fromManifest = plan(withCode("sha256:a"), withCode("sha256:b"));
    expect(renderText(fromManifest, { color: false })).toContain("code: the monitor's functions changed (their source is not available for this base)");
  });

  test("a 1,000-monitor change fits one GitHub comment, folded, with a pointer to the full plan", () => {
    const many = (summary: string, schedule: string) =>
      sampleManifest((d) => {
        d.monitors = Array.from({ length: 1000 }, (_, i) =>
          sampleMonitor(`service-${String(i).padStart(4, "0")}-latency`, {
            summary: `${summary} ${"x".repeat(40)}`,
            schedule: { kind: "cron", expression: schedule, timezone: "UTC" },
            labels: { team: `team-${i % 17}`, tier: "1" },
          }),
        );
      });
    const p = plan(many("{{monitor}} is slow", "*/5 * * * *"), many("{{monitor}} is slow: {{value}}", "* * * * *"));
    expect(p.summary.monitors.change).toBe(1000);
    const md = renderMarkdown(p, { fullPlan: "plan.json" });
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(md.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(md).toContain("| Monitors | 0 | 1000 | – | 0 |");
    expect(md).toMatch(/> \d+ entries are not shown: .*The full plan is in `plan\.json`/);
    expect(md).toMatch(/… \d+ more monitor\(s\): see plan\.json/);
    expect(md).toContain("<details><summary>Monitors (1000)</summary>");
    expect(md.match(/```/g)!.length % 2).toBe(0);
    expect(md).toContain("service-0000-latency");
    // The whole plan still renders in full where there is no limit: the terminal.
    expect(renderText(p, { color: false })).toContain("service-0999-latency");
  });

  test("a small plan is shown whole, without the shortening note", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.for = "5m")));
    const md = renderMarkdown(p);
    expect(md).not.toContain("not shown");
    expect(md).toContain('!     for: "2m" -> "5m"');
  });
});
