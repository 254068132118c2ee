import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { opsgenieNotifier } from "../../runtime/notify/channels/opsgenie/opsgenie-notifier.js";
import { pagerDutyNotifier } from "../../runtime/notify/channels/pagerduty/pagerduty-notifier.js";
import { pagerDutyIncidentNotifier } from "../../runtime/notify/channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { slackNotifier } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { webhookNotifier } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import type { MessageContext, SendContext, SendResult } from "../../runtime/notify/types.js";
import { intentFor, routingKey } from "../delivery/support/harness.js";
import type { ChannelSpec } from "../../sdk/manifest/schema.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";

// What the notifiers make of answers a real vendor, or a proxy in front of it, can give: bodies that
// are not the documented shape, odd status codes. A malformed answer is classified like any other,
// never thrown (a thrown notifier error is retried for a day, whatever the status said).

const KEY = routingKey("answers");

/** A vendor on loopback that answers every request however the test says. */
async function vendor(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const closes: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closes.splice(0)) await close();
});

function context(): SendContext {
  return { signal: AbortSignal.timeout(5_000), secret: () => undefined, previousRef: null, now: Date.now() };
}

const monitor = testMonitor("api");
const message: MessageContext = { manifest: testManifest({ monitors: [monitor] }), monitor };

async function pagerDutyAnswered(status: number, body: string, contentType = "application/json"): Promise<SendResult> {
  const v = await vendor((_req, res) => {
    res.writeHead(status, { "content-type": contentType });
    res.end(body);
  });
  closes.push(v.close);
  return pagerDutyNotifier({ kind: "pagerduty", baseUrl: v.url, routingKey: () => ({ key: KEY }) }).send(intentFor("api", "trigger"), message, context());
}

describe("PagerDuty Events API: a 400 whose body is not the documented shape", () => {
  it.each([
    ["errors as an object", `{"status":"invalid event","message":"Event object is invalid","errors":{"routing_key":"is invalid"}}`, /Event object is invalid/],
    ["errors as a string", `{"status":"invalid event","message":"Event object is invalid","errors":"routing_key is invalid"}`, /Event object is invalid; routing_key is invalid$/],
    ["a JSON null", `null`, /PagerDuty rejected the event/],
    ["a JSON number", `400`, /PagerDuty rejected the event/],
    ["an HTML page from a proxy", `<html><body><h1>400 Bad Request</h1></body></html>`, /400 Bad Request/],
  ])("%s is still a rejected event, not retried", async (_what, body, reason) => {
    const result = await pagerDutyAnswered(400, body);
    expect(result).toMatchObject({ ok: false, status: 400, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/^PagerDuty rejected the event/);
    expect(result.failure.reason).toMatch(reason);
    expect(result.failure.reason).not.toMatch(/; .; .; /);
  });
});

describe("PagerDuty Events API: a 2xx that is not what the Events API sends", () => {
  it.each([
    ["a proxy's HTML page with 200", 200, `<html><body><h1>Welcome</h1><p>Sign in to continue</p></body></html>`, "text/html"],
    ["a proxy's XHTML page with 202, after white space", 202, `\n  <?xml version="1.0"?><html><body>Gateway</body></html>`, "application/xhtml+xml"],
  ])("%s is not counted as sent: retried, and the reason says so", async (_what, status, body, type) => {
    const result = await pagerDutyAnswered(status, body, type);
    expect(result).toMatchObject({ ok: false, status, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/not PagerDuty's Events API answer/);
  });

  // A receiver that is not a page is taken at its status, as before: a fake or gateway that answers
  // 202 with no body or a word must not be paged again and again.
  it.each([
    ["a text body with 202", 202, `accepted`, "text/plain"],
    ["an empty 202", 202, ``, "text/plain"],
  ])("%s is sent", async (_what, status, body, type) => {
    expect(await pagerDutyAnswered(status, body, type)).toMatchObject({ ok: true, status });
  });

  it("PagerDuty's own 202 is sent", async () => {
    const result = await pagerDutyAnswered(202, `{"status":"success","message":"Event processed","dedup_key":"x"}`);
    expect(result).toMatchObject({ ok: true, status: 202 });
  });
});

describe("OpsGenie: a 2xx that is not what the Alert API sends", () => {
  async function opsgenieAnswered(status: number, body: string, contentType: string, type: "trigger" | "resolve"): Promise<SendResult> {
    const v = await vendor((_req, res) => {
      res.writeHead(status, { "content-type": contentType });
      res.end(body);
    });
    closes.push(v.close);
    const channel = testChannel("og", "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [], tags: [], baseUrl: v.url }) as Extract<ChannelSpec, { kind: "opsgenie" }>;
    const ctx = { ...context(), secret: (name: string) => (name === "OG" ? "key" : undefined) };
    return opsgenieNotifier(channel, { confirmCreateAfterMs: [] }).send(intentFor("api", type), { ...message, manifest: testManifest({ monitors: [monitor], channels: [channel] }) }, ctx);
  }

  it.each([
    ["a proxy's HTML page with 200 to a create", 200, `<html><body>Sign in</body></html>`, "text/html", "trigger"],
    ["a proxy's page with 202 to a close", 202, `<!DOCTYPE html><html><body>Bad gateway</body></html>`, "text/html", "resolve"],
  ] as const)("%s is not counted as sent: retried, and the reason says so", async (_what, status, body, type, action) => {
    const result = await opsgenieAnswered(status, body, type, action);
    expect(result).toMatchObject({ ok: false, status, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/not OpsGenie's answer/);
  });

  it("OpsGenie's own 202 is sent", async () => {
    const result = await opsgenieAnswered(202, `{"result":"Request will be processed","took":0.2,"requestId":"43a29c5c-3dbf-4fa4-9c26-f4f71023e120"}`, "application/json", "trigger");
    expect(result).toMatchObject({ ok: true, status: 202 });
  });
});

describe("Slack: a 2xx that is not what an incoming webhook sends", () => {
  async function slackAnswered(status: number, body: string, contentType: string): Promise<SendResult> {
    const v = await vendor((_req, res) => {
      res.writeHead(status, { "content-type": contentType });
      res.end(body);
    });
    closes.push(v.close);
    const channel = testChannel("sl", "slack", { webhookUrl: { secret: "SLACK" }, channel: null }) as Extract<ChannelSpec, { kind: "slack" }>;
    const ctx = { ...context(), secret: (name: string) => (name === "SLACK" ? `${v.url}/services/T1/B1/token` : undefined) };
    return slackNotifier(channel).send(intentFor("api", "trigger"), message, ctx);
  }

  it("a sign-in page's HTML with 200 is not counted as sent: retried, and the reason says so", async () => {
    const result = await slackAnswered(200, `<!DOCTYPE html><html><body>Sign in to the proxy</body></html>`, "text/html; charset=utf-8");
    expect(result).toMatchObject({ ok: false, status: 200, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/not Slack's answer/);
  });

  it("Slack's own ok is sent", async () => {
    expect(await slackAnswered(200, "ok", "text/html")).toMatchObject({ ok: true, status: 200 });
  });
});

describe("a webhook receiver that redirects", () => {
  it.each([301, 302, 307, 308])("%i is not followed, not retried, and the reason says it was a redirect and to which host, never the URL", async (status) => {
    let requests = 0;
    const v = await vendor((_req, res) => {
      requests++;
      res.writeHead(status, { location: "https://moved.example.com/hooks/in?token=s3cr3t-in-query" });
      res.end("Moved");
    });
    closes.push(v.close);
    const channel = testChannel("wh", "webhook", { url: `${v.url}/in`, headers: { authorization: "Bearer hook-token" }, hmacSecret: null }) as Extract<ChannelSpec, { kind: "webhook" }>;
    const result = await webhookNotifier(channel).send(intentFor("api", "trigger"), message, context());
    expect(result).toMatchObject({ ok: false, status, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/redirect/);
    expect(result.failure.reason).toContain("https://moved.example.com");
    expect(result.failure.reason).not.toMatch(/token|hooks\/in/);
    expect(requests).toBe(1);
  });
});

describe("PagerDuty REST incidents: a 2xx that is not what the REST API sends", () => {
  it.each([
    ["the create", "trigger", null],
    ["the resolve of a known incident", "resolve", "PABC123"],
  ] as const)("a proxy's HTML page with 200 to %s is not counted as sent: retried, and the reason says so", async (_what, type, previousRef) => {
    const v = await vendor((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<html><body>Sign in to continue</body></html>`);
    });
    closes.push(v.close);
    const channel = testChannel("pdi", "pagerdutyIncident", { token: { secret: "PD_TOKEN" }, from: "oncall@example.com", service: "PSVC123", urgency: "high" }) as Extract<ChannelSpec, { kind: "pagerdutyIncident" }>;
    const notifier = pagerDutyIncidentNotifier(channel, { baseUrl: v.url, serviceId: () => ({ id: "PSVC123" }) });
    const ctx = { ...context(), previousRef, secret: (name: string) => (name === "PD_TOKEN" ? "token" : undefined) };
    const result = await notifier.send(intentFor("api", type), message, ctx);
    expect(result).toMatchObject({ ok: false, status: 200, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/not PagerDuty's answer/);
  });
});
