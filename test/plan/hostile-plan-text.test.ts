import { describe, expect, test } from "vitest";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import type { Plan } from "../../cli/plan/types.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";

// The pull request's author writes every name, label, summary and error message the plan shows;
// the reviewer must read them as text, and see every character that changes.

const now = new Date("2026-11-21T00:00:00Z");
const plan = (base: Manifest, target: Manifest): Plan =>
  diffPlan({ base, baseSource: { kind: "file", ref: "deployed-manifest.json" }, target, now }, [], []);

const hostile = "![No changes](https://attacker.example/ok.png) cc @acme/everyone [approve](https://attacker.example) <!--";

/** The comment with code spans, fenced blocks and `<pre>` blocks taken out: what GitHub renders as Markdown. */
function rendered(md: string): string {
  return md
    .replace(/```diff\n[\s\S]*?\n```/g, "")
    .replace(/<pre[^>]*>[\s\S]*?<\/pre>/g, "")
    .replace(/(`+)[\s\S]*?\1/g, "");
}

describe("the author's text in the plan comment is shown, never rendered", () => {
  test("a summary function's error cannot put an image, a link or an @mention in the warnings", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.name = "Payments latency")));
    p.warnings.push({ code: "summary-not-previewed", subject: "payments-api-latency", message: `payments-api-latency: the summary function at monitors/p.ts:9 throws: ${hostile}` });
    const md = renderMarkdown(p);
    expect(md).toContain("attacker.example");
    const outside = rendered(md);
    expect(outside).not.toContain("attacker.example");
    expect(outside).not.toContain("@acme");
    expect(outside.split("<!--")).toHaveLength(2); // the marker's alone
  });

  test("nor in the notification preview's sample labels and summary problems", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.name = "Payments latency")));
    p.notifications = [
      {
        monitor: "payments-api-latency",
        sample: { value: 1, labels: { instance: hostile }, at: "2026-01-05T03:12:00.000Z" },
        summaryIsCode: true,
        summaryRan: true,
        summaryProblems: [{ side: "after", reason: `the summary function at monitors/p.ts:9 throws: ${hostile}` }],
        messages: [],
      },
    ];
    const md = renderMarkdown(p);
    expect(md.match(/attacker\.example/g)?.length).toBe(4);
    const outside = rendered(md.slice(md.indexOf("Notifications on trigger")));
    expect(outside).not.toContain("attacker.example");
    expect(outside).not.toContain("@acme");
  });
});

describe("every character that changes is visible", () => {
  test("a name changed only by a zero-width space does not read as unchanged", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.name = `${d.monitors[0]!.name}\u200b`)));
    for (const out of [renderText(p, { color: false }), renderMarkdown(p)]) {
      const line = out.split("\n").find((l) => l.includes("name: "))!;
      expect(line).toMatch(/-> "Monitor payments-api-latency\\u200b"$/);
      expect(line).not.toContain("\u200b");
    }
  });

  test("bidi controls and terminal escapes in a summary are spelled out, so they cannot reorder or erase plan lines", () => {
    const summary = "{{monitor}} failed \u202eevil\u202c\u001b[6A\u001b[J";
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.summary = summary)));
    const text = renderText(p, { color: false });
    const md = renderMarkdown(p);
    for (const out of [text, md]) {
      expect(out).not.toMatch(/[\u202e\u202c\u001b]/);
      expect(out).toContain("failed \\u202eevil\\u202c\\u001b[6A\\u001b[J");
    }
  });

  test("a label key with a line break cannot start a forged line in the diff", () => {
    const p = plan(sampleManifest(), sampleManifest((d) => (d.monitors[0]!.labels = { ...d.monitors[0]!.labels, "x\r- service:payments-api": "1" })));
    const md = renderMarkdown(p);
    expect(md).not.toContain("\r");
    expect(md).toContain("labels.x\\u000d- service:payments-api");
  });
});
