import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpsgenieServer, PagerDutyServer, SlackServer } from "../support/vendors/index.js";
import { intentFor, makeHarness, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor } from "./support/manifest.js";

/** Whole alert lifecycles per channel: open, acknowledge, close, with the vendor's own ids. */
describe("alert lifecycle per channel", () => {
  const og = new OpsgenieServer({ apiKey: "og-key" });
  const pd = new PagerDutyServer({ apiToken: "pd-token" });
  const slack = new SlackServer({ perMinute: 2 });
  let h: Harness;

  beforeAll(async () => {
    await Promise.all([og.start(), pd.start(), slack.start()]);
  });
  afterEach(async () => h?.destroy());
  afterAll(async () => Promise.all([og.stop(), pd.stop(), slack.stop()]));

  it("OpsGenie: creates by alias, acknowledges and closes the same alias", async () => {
    h = makeHarness({
      manifest: testManifest({
        monitors: [testMonitor("queue", { channels: ["og"], severity: "warning" })],
        channels: [testChannel("og", "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [], tags: [], baseUrl: og.url })],
        secrets: ["OG"],
      }),
      secrets: { OG: "og-key" },
    });
    h.delivery.start();
    h.enqueue(intentFor("queue", "trigger", { severity: "warning" }));
    h.enqueue(intentFor("queue", "acknowledge", { acknowledgedBy: "Grace", severity: "warning" }));
    // Only the POSTs change the alert; the GETs ask whether the request before was processed.
    const posts = () => og.accepted().filter((r) => r.method === "POST");
    await og.waitFor(() => posts().length === 2);
    expect(og.alerts.get("wk-queue")).toMatchObject({ status: "acked", priority: "P3" });
    h.enqueue(intentFor("queue", "resolve"));
    await og.waitFor(() => posts().length === 3);
    expect(og.alerts.get("wk-queue")!.status).toBe("closed");
    expect(posts().map((r) => r.path)).toEqual(["/v2/alerts", "/v2/alerts/wk-queue/acknowledge", "/v2/alerts/wk-queue/close"]);
  });

  it("OpsGenie: two channels of one monitor in one account each get an alert of their own, and each is closed", async () => {
    const opsgenie = (id: string, team: string) =>
      testChannel(id, "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [{ type: "team", name: team }], tags: [], baseUrl: og.url });
    h = makeHarness({
      manifest: testManifest({
        monitors: [testMonitor("jobs", { channels: ["og-payments", "og-platform"], severity: "warning" })],
        channels: [opsgenie("og-payments", "payments"), opsgenie("og-platform", "platform")],
        secrets: ["OG"],
      }),
      secrets: { OG: "og-key" },
    });
    const before = og.accepted().filter((r) => r.method === "POST").length;
    const posts = () => og.accepted().filter((r) => r.method === "POST").length - before;
    const alerts = () => [...og.alerts.values()].filter((a) => a.alias.startsWith("wk-jobs"));
    h.delivery.start();
    h.enqueue(intentFor("jobs", "trigger", { severity: "warning" }));
    await og.waitFor(() => posts() === 2);
    // Not one alert created and the other folded into it as a duplicate: each team is paged.
    expect(alerts().map((a) => [a.status, a.count])).toEqual([["open", 1], ["open", 1]]);
    // The first channel keeps the dedup key as its alias, as a monitor with one OpsGenie channel does.
    expect(og.alerts.get("wk-jobs")).toMatchObject({ status: "open" });
    h.enqueue(intentFor("jobs", "resolve"));
    await og.waitFor(() => posts() === 4);
    await og.waitFor(() => alerts().every((a) => a.status === "closed"));
  });

  it("PagerDuty incident: opens an incident and resolves that incident by its id", async () => {
    h = makeHarness({
      manifest: testManifest({
        monitors: [testMonitor("manual-page", { channels: ["incident"] })],
        channels: [testChannel("incident", "pagerdutyIncident", { token: { secret: "PD" }, from: "oncall@example.com", service: "PSVC001", urgency: "high", baseUrl: pd.url })],
        secrets: ["PD"],
      }),
      secrets: { PD: "pd-token" },
    });
    h.delivery.start();
    h.enqueue(intentFor("manual-page", "trigger"));
    h.enqueue(intentFor("manual-page", "resolve"));
    await pd.waitFor(() => pd.accepted().length === 2);
    const [incident] = [...pd.incidents.values()];
    expect(incident).toMatchObject({ incident_key: "wk-manual-page", status: "resolved" });
    expect(pd.accepted()[1]!.path).toBe(`/incidents/${incident!.id}`);
  });

  it("Slack: stays under the webhook's rate limit by waiting, not by losing messages", async () => {
    h = makeHarness({
      manifest: testManifest({
        monitors: [testMonitor("api", { channels: ["slack"] })],
        channels: [testChannel("slack", "slack", { webhookUrl: { secret: "SLACK" }, channel: "#ops", rateLimitPerMinute: 600 })],
        secrets: ["SLACK"],
      }),
      secrets: { SLACK: `${slack.url}/services/T1/B1/token-abcdef` },
    });
    h.delivery.start();
    for (let i = 0; i < 4; i++) h.enqueue(intentFor("api", "trigger", { dedupKey: `wk-api-${i}` }));
    // The vendor allows 2 a minute here; its 429 Retry-After (1 s) paces the rest.
    await slack.waitFor(() => slack.messages().length === 2);
    const pending = () => h.deliveries.recent(10).filter((d) => d.status === "pending");
    await until(() => pending().length === 2 && pending().every((d) => d.lastError !== null), 5000, "two deliveries waiting after a 429");
    expect(pending().map((d) => d.lastError)).toEqual(["HTTP 429: rate_limited", "HTTP 429: rate_limited"]);
    expect(h.deliveries.recent(10).filter((d) => d.status === "failed")).toEqual([]);
    expect(slack.messages()[0]).toMatchObject({ channel: "#ops" });
  });
});
