import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileProject, type CompileResult } from "../../cli/compiler/index.js";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { diffMonitors } from "../../cli/plan/manifest-diff.js";
import { sampleResult } from "../../cli/plan/notification-preview.js";
import { planProject } from "../../cli/plan/plan-project.js";
import { renderJson } from "../../cli/plan/render-json.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import { hasSummaryFunctions, previewSummaries } from "../../cli/plan/summary-preview.js";
import type { Plan } from "../../cli/plan/types.js";
import { importBundle } from "../../runtime/artifact.js";
import { renderSummary } from "../../runtime/evaluate/summary.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";

const now = new Date("2026-11-23T00:00:00Z");
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const empty = { kind: "empty" as const, ref: null };

function compiled(result: CompileResult): { manifest: Manifest; bundle: string } {
  expect(result.ok, JSON.stringify(result.diagnostics.filter((d) => d.severity === "error"), null, 2)).toBe(true);
  return { manifest: result.manifest!, bundle: result.bundle! };
}

function pagerDutySummary(plan: Plan, monitor: string): string {
  const preview = plan.notifications.find((p) => p.monitor === monitor)!;
  const pd = preview.messages.find((m) => m.kind === "pagerduty")!;
  return (pd.after as { payload: { summary: string } }).payload.summary;
}

describe("summary functions in the notification preview", { timeout: 180_000 }, () => {
  test("this repository's checkout error-rate monitor previews the text its compiled function returns, as the runtime renders it", async () => {
    const target = compiled(await compileProject({ projectDir: repoRoot, write: false, typecheck: false }));
    const monitors = diffMonitors(null, target.manifest);
    const summaries = await previewSummaries({ target, base: null, monitors, env: {} });
    const plan = diffPlan({ base: null, baseSource: empty, target: target.manifest, now, summaries }, [], []);

    // The runtime's own path, in this process: the same bundle imported, renderSummary on the same sample.
    const scratch = mkdtempSync(join(tmpdir(), "wk-summary-bundle-"));
    try {
      writeFileSync(join(scratch, "monitors.mjs"), target.bundle);
      const bundle = await importBundle(join(scratch, "monitors.mjs"), target.manifest.hash);
      const monitor = target.manifest.monitors.find((m) => m.id === "checkout-error-rate")!;
      const expected = renderSummary(monitor, sampleResult(monitor, null), bundle[monitor.id]);
      expect(expected).toBe("Checkout 5xx rate on checkout: 0.100 5xx responses/s (limit 0.05/s)");
      expect(pagerDutySummary(plan, "checkout-error-rate")).toBe(expected);
      const preview = plan.notifications.find((p) => p.monitor === "checkout-error-rate")!;
      expect(preview).toMatchObject({ summaryIsCode: true, summaryRan: true, summaryProblems: [] });
      expect(plan.warnings.filter((w) => w.code === "summary-not-previewed")).toEqual([]);

      expect(renderText(plan, { color: false })).toContain(`checkout-error-rate:\n    PagerDuty (Events API v2) service:checkout-payments (new): ${expected}`);
      const md = renderMarkdown(plan);
      expect(md).toContain(`"summary": "${expected}"`);
      expect(md).toContain("The summary is a function: the plan ran the compiled code on this sample in a sandbox");
      const json = JSON.parse(renderJson(plan)) as Plan;
      expect(pagerDutySummary(json, "checkout-error-rate")).toBe(expected);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  describe("a summary function that misbehaves costs only its own preview", () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-summary-attacks-"));
    const outside = mkdtempSync(join(tmpdir(), "wk-summary-outside-"));
    const secretFile = join(dir, ".watchkeeper", "routing-keys.json");
    const canary = "canary-routing-key-9e8d7c6b5a4f3e2d1c0b";
    const written = join(outside, "written-by-a-summary");
    const attacks: Record<string, string> = {
      good: "(r, m) => `${m.name} at ${r.value}`",
      throws: '() => { throw new Error("no summary today"); }',
      loops: "() => { for (;;) {} }",
      // Returns at once, leaving a loop queued behind it: it must be charged, not the monitors previewed after it.
      "loops-after-return": '() => { Promise.resolve().then(function spin() { for (;;) {} }); return "returned"; }',
      exits: "() => { process.exit(3); }",
      // Spelled so the compiler's no-process-env rule does not see it: the sandbox must.
      "reads-env": '() => String(process["e" + "nv"]["API_TOKEN"])',
      writes: `() => { require("node:fs").writeFileSync(${JSON.stringify(written)}, "x"); return "wrote"; }`,
      spawns: '() => String(require("node:child_process").execSync("id"))',
      "reads-secret-file": `() => require("node:fs").readFileSync(${JSON.stringify(secretFile)}, "utf8")`,
      number: "() => 42",
      async: 'async () => "later"',
      "uses-internals": '() => { process.binding("process_methods").reallyExit(9); return "still here"; }',
      // Cuts the sandbox's channel: the child can no longer answer and ends; the parent charges the monitor it was on and runs the rest again.
      disconnects: '() => { process.disconnect(); return "cut"; }',
    };
    let plan: Plan;
    let sources: Map<string, string>;

    beforeAll(async () => {
      const write = (file: string, text: string) => {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      };
      write("watchkeeper.config.ts", `import { config } from "watchkeeper";\nexport default config({ name: "summary-attacks", secrets: ["API_TOKEN"] });\n`);
      write(
        "policies/oncall.ts",
        `import { channel, secret } from "watchkeeper";\nexport const hook = channel.webhook({ id: "hook", url: secret("API_TOKEN") });\n`,
      );
      write(
        "monitors/attacks.ts",
        [
          `import { check, monitor } from "watchkeeper";`,
          `import { hook } from "../policies/oncall.js";`,
          `declare const process: any;`,
          `declare const require: (name: string) => any;`,
          ...Object.entries(attacks).map(
            ([id, fn]) =>
              `export const m_${id.replace(/-/g, "_")} = monitor({ id: ${JSON.stringify(id)}, name: ${JSON.stringify(`Monitor ${id}`)}, schedule: { every: "1m" }, check: check.http({ url: "https://api.example.test/health" }), severity: "warning", channels: [hook], summary: (${fn}) as any });`,
          ),
          "",
        ].join("\n"),
      );
      write(".watchkeeper/routing-keys.json", JSON.stringify({ api: canary }));
      const target = compiled(await compileProject({ projectDir: dir, write: false, typecheck: false }));
      sources = new Map(target.manifest.monitors.map((m) => [m.id, m.source]));
      const monitors = diffMonitors(null, target.manifest);
      const summaries = await previewSummaries({ target, base: null, monitors, env: { API_TOKEN: canary }, callLimitMs: 500, timeoutMs: 4000 });
      plan = diffPlan({ base: null, baseSource: empty, target: target.manifest, now, summaries }, [], []);
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });

    const reasonOf = (id: string) => plan.notifications.find((p) => p.monitor === id)!.summaryProblems.find((p) => p.side === "after")?.reason;
    const webhookSummary = (id: string) => String((plan.notifications.find((p) => p.monitor === id)!.messages[0]!.after as { summary: string }).summary);

    test.each([
      ["throws", /throws: Error: no summary today$/],
      ["loops", /did not return within 500 ms \(an endless loop\?\)$/],
      ["loops-after-return", /did not finish within 4000 ms and was stopped$/],
      ["exits", /calls process\.exit\(\): a summary function only formats the result into text$/],
      ["reads-env", /reads process\.env\.API_TOKEN: /],
      ["writes", /tries to write /],
      ["spawns", /tries to start a process/],
      ["reads-secret-file", /tries to read .*routing-keys\.json/],
      ["number", /returns a number, not a string$/],
      ["async", /returns a Promise \(an async function\), not a string/],
      ["uses-internals", /tries to use process\.binding: a summary function only formats the result into text$/],
      ["disconnects", /ended the sandbox process \(exit code \d+\)$/],
    ])("%s: the preview and a plan warning give the reason, at the monitor's file:line", (id, reason) => {
      const why = reasonOf(id);
      expect(why).toMatch(reason);
      expect(why).toContain(`the summary function at ${sources.get(id)} `);
      expect(sources.get(id)).toMatch(/^monitors\/attacks\.ts:\d+$/);
      expect(webhookSummary(id)).toBe(`(summary not previewed: ${why})`);
      expect(plan.warnings).toContainEqual({ code: "summary-not-previewed", subject: id, message: `${id}: ${why}` });
    });

    test("the other monitors still preview their text, nothing was written, and no secret shows in any format", () => {
      expect(webhookSummary("good")).toBe("Monitor good at 1");
      expect(reasonOf("good")).toBeUndefined();
      expect(existsSync(written)).toBe(false);
      const outputs = [renderText(plan, { color: false }), renderMarkdown(plan), renderJson(plan)];
      for (const out of outputs) {
        expect(out).not.toContain(canary);
        expect(out).toContain("Monitor good at 1");
      }
      expect(outputs[0]).toContain(`    summary not previewed: ${reasonOf("throws")}`);
      expect(outputs[1]).toContain("After, no text: `the summary function at monitors/attacks.ts:");
      expect(outputs[1]).toContain("summary-not-previewed");
    });
  });

  test("a compiled bundle that throws or hangs while it loads costs its side's previews, each with the reason", async () => {
    const target = sampleManifest((d) => {
      d.monitors.push(sampleMonitor("api", { code: { condition: false, summary: true, run: false, extract: false }, source: "monitors/api.ts:4" }));
    });
    const monitors = diffMonitors(null, target);
    const throws = await previewSummaries({ target: { manifest: target, bundle: 'throw new Error("top-level boom");\nexport default {};\n' }, base: null, monitors, env: {} });
    expect(throws.get("after:api")).toEqual({ ok: false, reason: "the summary function at monitors/api.ts:4 cannot run: loading the compiled bundle, it throws: Error: top-level boom" });
    const hangs = await previewSummaries({ target: { manifest: target, bundle: "for (;;) {}\nexport default {};\n" }, base: null, monitors, env: {}, timeoutMs: 3000 });
    expect(hangs.get("after:api")).toEqual({ ok: false, reason: "the summary function at monitors/api.ts:4 cannot run: loading its compiled bundle did not finish within 3000 ms and was stopped" });
    const fine = await previewSummaries({ target: { manifest: target, bundle: 'export default { api: { summary: (r, m) => m.monitorId + " is " + r.message.slice(0, 6) } };\n' }, base: null, monitors, env: {} });
    expect(fine.get("after:api")).toEqual({ ok: true, text: "api is sample" });
    // A value of a declared secret that reaches the text anyway (here written into the code) is redacted, as the runtime redacts.
    const canary = "canary-api-token-4e4e4e4e";
    const leaks = await previewSummaries({ target: { manifest: target, bundle: `export default { api: { summary: () => "token ${canary} and %22${encodeURIComponent(canary)}" } };\n` }, base: null, monitors, env: { API_TOKEN: canary } });
    expect(leaks.get("after:api")).toEqual({ ok: true, text: "token [redacted] and %22[redacted]" });
  });

  test("monitors.mjs asked for by the manifest is the bundle a compile makes, built only when the manifest says so", async () => {
    const always = await compileProject({ projectDir: repoRoot, write: false, typecheck: false });
    const asked: boolean[] = [];
    const when = (answer: boolean) => async () => compileProject({ projectDir: repoRoot, write: false, typecheck: false, bundle: (m) => (asked.push(hasSummaryFunctions(m)), answer) });
    const [yes, no] = [await when(true)(), await when(false)()];
    // This repository's project has a summary function (the checkout error-rate monitor).
    expect(asked).toEqual([true, true]);
    expect(always.bundle).not.toBeNull();
    expect(yes.bundle).toBe(always.bundle);
    expect(no.bundle).toBeNull();
    expect(no.manifest).toEqual(always.manifest);
    expect(yes.diagnostics).toEqual(always.diagnostics);
    expect(hasSummaryFunctions(sampleManifest())).toBe(false);
  });

  test("the base's summary shows before and after from its compiled bundle, and a base without one says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-summary-base-"));
    try {
      const project = (summary: string) => {
        mkdirSync(join(dir, "monitors"), { recursive: true });
        writeFileSync(join(dir, "watchkeeper.config.ts"), `import { config } from "watchkeeper";\nexport default config({ name: "summary-base", secrets: ["API_TOKEN"] });\n`);
        writeFileSync(
          join(dir, "monitors/api.ts"),
          `import { channel, check, monitor, secret } from "watchkeeper";
export const hook = channel.webhook({ id: "hook", url: secret("API_TOKEN") });
export const api = monitor({ id: "api", name: "API", schedule: { every: "1m" }, check: check.http({ url: "https://api.example.test/health" }), severity: "warning", channels: [hook], summary: (r) => ${summary} });
`,
        );
      };
      project("`API down (${r.message.length} chars)`");
      const base = compiled(await compileProject({ projectDir: dir, outDir: join(dir, "deployed"), write: true, typecheck: false }));
      const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });
      git("init", "-q", "-b", "main");
      git("-c", "user.email=ci@example.test", "-c", "user.name=CI", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "empty");
      writeFileSync(join(dir, ".gitignore"), "deployed/\n");
      git("add", "-A");
      git("-c", "user.email=ci@example.test", "-c", "user.name=CI", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "base");
      project("`API is down: ${r.message}`");
      const compile = (d: string, o?: { typecheck?: boolean }) => compileProject({ projectDir: d, write: false, typecheck: false, ...o });

      const withBundle = await planProject({ projectDir: dir, base: { kind: "file", path: join(dir, "deployed", "manifest.json") }, compile, now });
      expect(withBundle.ok).toBe(true);
      if (!withBundle.ok) return;
      const message = sampleResult(base.manifest.monitors[0]!, null).message;
      const hook = withBundle.plan.notifications[0]!.messages[0]!;
      expect((hook.before as { summary: string }).summary).toBe(`API down (${message.length} chars)`);
      expect((hook.after as { summary: string }).summary).toBe(`API is down: ${message}`);

      // A git base is compiled, bundle and all; as `wk plan` compiles, monitors.mjs is built once the
      // manifest says a summary function needs it.
      const asThePlanCommand = (d: string, o?: { typecheck?: boolean }) => compileProject({ projectDir: d, write: false, typecheck: false, bundle: hasSummaryFunctions, ...o });
      const fromGit = await planProject({ projectDir: dir, base: { kind: "git", ref: "HEAD" }, compile: asThePlanCommand, now });
      if (!fromGit.ok) throw new Error("plan failed");
      expect(fromGit.plan.notifications[0]!.summaryProblems).toEqual([]);
      expect((fromGit.plan.notifications[0]!.messages[0]!.before as { summary: string }).summary).toBe(`API down (${message.length} chars)`);

      // A deployed manifest on its own (what wk deploy saves) has no compiled code beside it.
      writeFileSync(join(dir, "deployed-manifest.json"), JSON.stringify(base.manifest));
      const bare = await planProject({ projectDir: dir, base: { kind: "file", path: join(dir, "deployed-manifest.json") }, compile, now });
      if (!bare.ok) throw new Error("plan failed");
      const preview = bare.plan.notifications[0]!;
      expect(preview.summaryProblems).toEqual([{ side: "before", reason: "the base deployed-manifest.json has no compiled monitors.mjs beside it, so the base's summary text is unknown" }]);
      expect((preview.messages[0]!.after as { summary: string }).summary).toMatch(/^API is down: /);
      // Not the author's doing: said in the preview, not warned about.
      expect(bare.plan.warnings).toEqual([]);
      expect(renderMarkdown(bare.plan)).toContain("Before, no text: `the base deployed-manifest.json has no compiled monitors.mjs beside it");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
