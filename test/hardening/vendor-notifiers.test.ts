import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { opsgenieNotifier } from "../../runtime/notify/channels/opsgenie/opsgenie-notifier.js";
import { pagerDutyNotifier } from "../../runtime/notify/channels/pagerduty/pagerduty-notifier.js";
import { slackNotifier } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { webhookNotifier } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import type { MessageContext, SendContext } from "../../runtime/notify/types.js";
import type { ChannelSpec } from "../../sdk/manifest/schema.js";
import { intentFor, routingKey } from "../delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";
import { OpsgenieServer, PagerDutyServer, SlackServer } from "../support/vendors/index.js";

/**
 * What the real notifiers send, for the largest alerts a user can produce, is accepted by the
 * schema-validating fakes: a notifier that overflows a vendor limit loses the page.
 */
const pd = new PagerDutyServer();
const og = new OpsgenieServer();
const slack = new SlackServer();
const KEY = routingKey("huge");

beforeAll(async () => {
  await Promise.all([pd.start(), og.start(), slack.start()]);
});
afterAll(async () => {
  await Promise.all([pd.stop(), og.stop(), slack.stop()]);
});

/** An alert at its worst: long summary, many long labels, megabytes of check result and diagnostics, emoji at every cut. */
function hugeIntent(type: "trigger" | "resolve" | "acknowledge") {
  const long = (n: number) => "🔥x".repeat(n);
  return intentFor("checkout", type, {
    summary: long(2_000),
    labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label_${i}_${"n".repeat(80)}`, long(500)])),
    details: { body: long(400_000), headers: { server: long(10_000) }, diagnostics: long(300_000) },
  });
}

function context(secrets: Record<string, string>): SendContext {
  return { signal: AbortSignal.timeout(10_000), secret: (name) => secrets[name], previousRef: null, now: Date.now() };
}

describe("the largest alerts go through every vendor fake", () => {
  const monitor = testMonitor("checkout");
  const message = (channels: ChannelSpec[]): MessageContext => ({ manifest: testManifest({ monitors: [monitor], channels }), monitor });

  test.each(["trigger", "acknowledge", "resolve"] as const)("PagerDuty Events v2 accepts the %s", async (type) => {
    const notifier = pagerDutyNotifier({ kind: "pagerduty", baseUrl: pd.url, routingKey: () => ({ key: KEY }) });
    const result = await notifier.send(hugeIntent(type), message([]), context({}));
    expect(result.ok, pd.rejections().join("\n")).toBe(true);
  });

  test.each(["trigger", "acknowledge", "resolve"] as const)("OpsGenie accepts the %s", async (type) => {
    const channel = testChannel("og", "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [{ type: "team", name: "shop" }], tags: Array.from({ length: 30 }, (_, i) => `tag-${i}-${"t".repeat(60)}`), baseUrl: og.url });
    const result = await opsgenieNotifier(channel as Extract<ChannelSpec, { kind: "opsgenie" }>).send(hugeIntent(type), message([channel]), context({ OG: "key" }));
    expect(result.ok, og.rejections().join("\n")).toBe(true);
  });

  test.each(["trigger", "resolve"] as const)("Slack accepts the %s", async (type) => {
    const channel = testChannel("sl", "slack", { webhookUrl: { secret: "SLACK" }, channel: null });
    const result = await slackNotifier(channel as Extract<ChannelSpec, { kind: "slack" }>).send(hugeIntent(type), message([channel]), context({ SLACK: `${slack.url}/services/T1/B1/token` }));
    expect(result.ok, slack.rejections().join("\n")).toBe(true);
  });
});

describe("Slack's limit on all the text of a message's blocks", () => {
  test("an alert whose labels and diagnostics each fill their own block still fits the message's whole (msg_blocks_too_long), and keeps every fact's head", async () => {
    const monitor = testMonitor("checkout", { runbook: `https://wiki.example.com/runbooks/checkout?${"q".repeat(2_500)}` });
    const labels = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`label${i}`, `value${i}-${"v".repeat(3_000)}`]));
    const intent = intentFor("checkout", "trigger", { summary: "s".repeat(500), labels, details: { diagnostics: "d".repeat(10_000) } });
    const channel = testChannel("sl", "slack", { webhookUrl: { secret: "SLACK" }, channel: null });
    const manifest = testManifest({ monitors: [monitor], channels: [channel] });
    const before = slack.received.length;
    const result = await slackNotifier(channel as Extract<ChannelSpec, { kind: "slack" }>).send(intent, { manifest, monitor }, context({ SLACK: `${slack.url}/services/T1/B1/token` }));
    expect(result.ok, slack.rejections().join("\n")).toBe(true);
    const sent = JSON.stringify(slack.received.slice(before).at(-1)!.json);
    for (let i = 0; i < 6; i++) expect(sent).toContain(`value${i}-vvv`);
    expect(sent).toContain("ddd");
    expect(sent).toContain("Runbook");
  });
});

describe("a runbook written as prose never costs the page", () => {
  test("PagerDuty accepts the trigger: the runbook rides in custom_details, not as a link", async () => {
    const monitor = testMonitor("checkout", { runbook: "ask the shop team, wiki page 'checkout down'" });
    const notifier = pagerDutyNotifier({ kind: "pagerduty", baseUrl: pd.url, routingKey: () => ({ key: KEY }) });
    const before = pd.received.length;
    const result = await notifier.send(intentFor("checkout", "trigger"), { manifest: testManifest({ monitors: [monitor] }), monitor }, context({}));
    expect(result.ok, pd.rejections().join("\n")).toBe(true);
    const sent = pd.received.slice(before).at(-1)!.json as { links?: { text: string }[]; payload: { custom_details: Record<string, unknown> } };
    expect((sent.links ?? []).map((l) => l.text)).not.toContain("Runbook");
    expect(sent.payload.custom_details["runbook"]).toBe("ask the shop team, wiki page 'checkout down'");
  });
});

describe("a URL secret that holds no URL waits to be fixed, as a routing key with a stray space does", () => {
  // A secret file holding the whole `.env` line, or a name pasted for the value: refusing for good
  // would lose the page, while the operator can fix the secret and have it sent.
  const monitor = testMonitor("checkout");
  const message = (channels: ChannelSpec[]): MessageContext => ({ manifest: testManifest({ monitors: [monitor], channels }), monitor });
  const notURLs = [`SLACK_WEBHOOK=${"https://hooks.slack.com/services/T1/B1/token"}`, "hooks.slack.com/services/T1/B1/token", "ftp://hooks.example.com/in"];

  test.each(notURLs)("Slack: %s", async (value) => {
    const channel = testChannel("sl", "slack", { webhookUrl: { secret: "SLACK" }, channel: null });
    const result = await slackNotifier(channel as Extract<ChannelSpec, { kind: "slack" }>).send(intentFor("checkout", "trigger"), message([channel]), context({ SLACK: value }));
    expect(result).toMatchObject({ ok: false, failure: { retryable: true, missingSecret: "SLACK", secretProblem: "is not an http:// or https:// URL" } });
    expect(JSON.stringify(result)).not.toContain("token");
  });

  test.each(notURLs)("webhook: %s", async (value) => {
    const channel = testChannel("hook", "webhook", { url: { secret: "HOOK_URL" }, headers: {}, hmacSecret: null });
    const result = await webhookNotifier(channel as Extract<ChannelSpec, { kind: "webhook" }>).send(intentFor("checkout", "trigger"), message([channel]), context({ HOOK_URL: value }));
    expect(result).toMatchObject({ ok: false, failure: { retryable: true, missingSecret: "HOOK_URL", secretProblem: "is not an http:// or https:// URL" } });
    expect(JSON.stringify(result)).not.toContain("token");
  });
});
