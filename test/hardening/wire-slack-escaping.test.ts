import { describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { slackText } from "../../runtime/notify/channels/slack/slack-escape.js";
import { slackMessage } from "../../runtime/notify/channels/slack/slack-notifier.js";
import type { MessageContext } from "../../runtime/notify/types.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const HOSTILE = "<!channel> deploy broke <https://evil.example/login|click to fix> cc <@U123ABC> & <#C999>";

describe("Slack messages show alert text as typed: no mentions, no hidden links", () => {
  it("escapes &, < and > in the summary, monitor name, labels, value and diagnostics, but keeps our own links live", () => {
    const monitor = monitorSpec({ id: "checkout", name: "Checkout <!here>", runbook: "https://runbooks.example.com/checkout" });
    const message: MessageContext = { manifest: manifestOf([monitor]), monitor };
    const intent: NotificationIntent = {
      id: "wk-checkout:1",
      type: "trigger",
      monitorId: "checkout",
      dedupKey: "wk-checkout",
      labels: { "<!everyone>": HOSTILE },
      severity: "critical",
      summary: HOSTILE,
      value: 503,
      details: { diagnostics: `HTTP sweep: ${HOSTILE}` },
      at: 0,
      firedAt: 0,
    };
    const body = slackMessage(intent, message, null) as { text: string; blocks: Array<Record<string, any>> };
    const mrkdwn = [body.text, ...body.blocks.flatMap((b) => [b["text"]?.type === "mrkdwn" ? b["text"].text : "", ...(b["fields"] ?? []).map((f: { text: string }) => f.text)])].join("\n");
    for (const live of ["<!channel>", "<!here>", "<!everyone>", "<@U123ABC>", "<#C999>", "<https://evil.example"]) expect(mrkdwn).not.toContain(live);
    expect(body.text).toContain("&lt;!channel&gt; deploy broke &lt;https://evil.example/login|click to fix&gt; cc &lt;@U123ABC&gt; &amp; &lt;#C999&gt;");
    expect(mrkdwn).toContain("*Monitor*\nCheckout &lt;!here&gt;");
    expect(mrkdwn).toContain("*&lt;!everyone&gt;*\n&lt;!channel&gt;");
    expect(mrkdwn).toContain("```HTTP sweep: &lt;!channel&gt;");
    const context = body.blocks.find((b) => b["type"] === "context")!;
    expect(context["elements"][0].text).toBe("<https://runbooks.example.com/checkout|Runbook>");
  });

  it("never cuts an escape in half when shortening", () => {
    for (let max = 5; max < 40; max++) {
      const out = slackText("<>&".repeat(50), max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace(/&(amp|lt|gt);/g, "")).toMatch(/^…$/);
    }
  });
});
