import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newAlert, rulesOf } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { pagerDutySignature } from "../../runtime/inbound/signature.js";
import { PagerDutyServer, SmtpFixture } from "../support/vendors/index.js";
import { makeHarness, routingKey, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";

const WEBHOOK_SECRET = "pd-webhook-secret-canary";
const smtp = new SmtpFixture();
const pd = new PagerDutyServer();

function manifest() {
  return testManifest({
    monitors: [
      testMonitor("checkout", { service: "shop", ackChannels: ["customer"] }),
      testMonitor("uptime-robot", {
        check: { kind: "webhook", format: "nodeping", token: { secret: "UPTIME_TOKEN" } },
      }),
      testMonitor("uptime-generic", { check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } }),
    ],
    services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })],
    channels: [
      testChannel("customer", "email", {
        smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: null, password: null },
        from: "status@example.com",
        to: ["customer@example.com"],
      }),
    ],
    secrets: ["SHOP_KEY", "UPTIME_TOKEN", "PAGERDUTY_WEBHOOK_SECRET"],
  });
}

/** A PagerDuty v3 event that occurred now, about an incident opened a minute ago. */
function pdEvent(type: string, incidentKey: string | null, id = `evt-${Math.random()}`) {
  return JSON.stringify({
    event: {
      id,
      event_type: type,
      resource_type: "incident",
      occurred_at: new Date().toISOString(),
      agent: { id: "PUSER01", summary: "Ada Lovelace", type: "user_reference" },
      client: null,
      data: {
        id: "PINC001",
        type: "incident",
        number: 7,
        status: type.split(".")[1],
        incident_key: incidentKey,
        created_at: new Date(Date.now() - 60_000).toISOString(),
        title: "checkout is failing",
      },
    },
  });
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, body: await res.text() };
}

describe("inbound webhooks", () => {
  let h: Harness;
  let base = "";
  const secrets = { SHOP_KEY: routingKey("shop"), UPTIME_TOKEN: "uptime-token-123", PAGERDUTY_WEBHOOK_SECRET: WEBHOOK_SECRET };

  beforeAll(async () => {
    await smtp.start();
    await pd.start();
  });
  afterEach(async () => h?.destroy());
  afterAll(async () => {
    await smtp.stop();
    await pd.stop();
  });

  const open = async (realAlerts = false) => {
    h = makeHarness({ manifest: manifest(), secrets, knownAlerts: ["wk-checkout"], realAlerts, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url } } });
    base = await h.serve();
  };

  it("acknowledges from a signed PagerDuty v3 webhook and ignores its replay", async () => {
    await open();
    const body = pdEvent("incident.acknowledged", "wk-checkout");
    const headers = { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": "wh-1" };
    expect((await post(`${base}/webhooks/pagerduty`, body, headers)).status).toBe(200);
    const sent = (JSON.parse(body) as { event: { occurred_at: string; data: { created_at: string } } }).event;
    expect(h.alerts.calls).toEqual([
      { op: "acknowledge", dedupKey: "wk-checkout", by: "Ada Lovelace", at: Date.parse(sent.occurred_at), incidentOpenedAt: Date.parse(sent.data.created_at) },
    ]);
    const replay = await post(`${base}/webhooks/pagerduty`, body, headers);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toEqual({ status: "duplicate" });
    expect(h.alerts.calls).toHaveLength(1);
  });

  it("resolves from incident.resolved", async () => {
    await open();
    const body = pdEvent("incident.resolved", "wk-checkout");
    const res = await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": "wh-2" });
    expect(res.status).toBe(200);
    expect(h.alerts.calls.map((c) => c.op)).toEqual(["resolve"]);
  });

  it("accepts any of several signatures during secret rotation", async () => {
    await open();
    const body = pdEvent("incident.acknowledged", "wk-checkout");
    const header = `${pagerDutySignature(body, "the-old-secret")},${pagerDutySignature(body, WEBHOOK_SECRET)}`;
    expect((await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": header, "x-webhook-id": "wh-3" })).status).toBe(200);
  });

  it("refuses unsigned and wrongly signed webhooks with 401 and a log line (one a minute), without the secret", async () => {
    await open();
    const body = pdEvent("incident.resolved", "wk-checkout");
    expect((await post(`${base}/webhooks/pagerduty`, body, {})).status).toBe(401);
    expect((await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": pagerDutySignature(body, "wrong") })).status).toBe(401);
    expect((await post(`${base}/webhooks/pagerduty`, body + " ", { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET) })).status).toBe(401);
    expect(h.alerts.calls).toEqual([]);
    // The first refusal is logged at once; the ones within the minute after it only counted.
    expect(h.lines.filter((l) => l.includes("PagerDuty webhook refused"))).toHaveLength(1);
    expect(h.lines.join("\n")).not.toContain(WEBHOOK_SECRET);
  });

  it("answers 400 to a signed but malformed body", async () => {
    await open();
    for (const body of ["{not json", JSON.stringify({ event: { id: "x" } }), JSON.stringify({ event: { id: "e", event_type: "incident.resolved", resource_type: "incident", occurred_at: "x", data: { type: "incident_note" } } })]) {
      const res = await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": `bad-${body.length}` });
      expect(res.status, body).toBe(400);
    }
  });

  it("emails the ack channel 'acknowledged by NAME' when PagerDuty reports the acknowledgement", async () => {
    await open(true);
    const m = manifest().monitors[0]!;
    const t = evaluate(newAlert("checkout", {}, "wk-checkout", 1000), { kind: "failing", value: 503, summary: "checkout is failing", details: {} }, 1000, rulesOf(m));
    expect(t.alert.state).toBe("firing");
    h.store.commitAlerts({ alerts: [t.alert], readVersions: {}, intents: t.intents, at: 1000 });
    h.delivery.start();
    await pd.waitFor(() => pd.events().length === 1);
    const body = pdEvent("incident.acknowledged", "wk-checkout");
    const res = await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": "wh-ack" });
    expect(JSON.parse(res.body)).toEqual({ status: "acknowledged" });
    await until(() => smtp.mails.length === 1, 5000, "ack email");
    expect(smtp.mails[0]!.to).toEqual(["customer@example.com"]);
    expect(smtp.mails[0]!.raw).toContain("ACKNOWLEDGED by Ada Lovelace");
  });

  it("takes an acknowledgement back on incident.unacknowledged and resolves with who did it, on the alert's timeline", async () => {
    await open(true);
    const m = manifest().monitors[0]!;
    const t = evaluate(newAlert("checkout", {}, "wk-checkout", Date.now() - 30_000), { kind: "failing", value: 503, summary: "checkout is failing", details: {} }, Date.now() - 30_000, rulesOf(m));
    h.store.commitAlerts({ alerts: [t.alert], readVersions: {}, intents: t.intents, events: t.events, at: Date.now() - 30_000 });
    const send = async (type: string, n: number) => {
      const body = pdEvent(type, "wk-checkout");
      return JSON.parse((await post(`${base}/webhooks/pagerduty`, body, { "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": `wh-u${n}` })).body) as { status: string };
    };
    expect(await send("incident.acknowledged", 1)).toEqual({ status: "acknowledged" });
    expect(await send("incident.unacknowledged", 2)).toEqual({ status: "unacknowledged" });
    expect(h.store.alertByKey("wk-checkout")).toMatchObject({ state: "firing", acknowledgedAt: null, acknowledgedBy: null });
    expect(await send("incident.resolved", 3)).toEqual({ status: "resolved" });
    expect(h.store.alertEvents("wk-checkout").map((e) => [e.kind, e.by])).toEqual([
      ["firing", null],
      ["acknowledged", "Ada Lovelace"],
      ["unacknowledged", null],
      ["resolved", "Ada Lovelace"],
    ]);
  });

  it("records NodePing-style up/down reports with the shared token, in a header or the query", async () => {
    await open();
    const down = JSON.stringify({ label: "Shop front", event: "down", message: "HTTP 500", checkid: "abc" });
    expect((await post(`${base}/webhooks/uptime/uptime-robot`, down, { "x-watchkeeper-token": "uptime-token-123" })).status).toBe(202);
    expect(h.store.lastUptimeReport("uptime-robot")).toMatchObject({ up: false, message: "HTTP 500" });
    const up = JSON.stringify({ label: "Shop front", event: "UP" });
    expect((await post(`${base}/webhooks/uptime/uptime-robot?token=uptime-token-123`, up, {})).status).toBe(202);
    expect(h.store.lastUptimeReport("uptime-robot")).toMatchObject({ up: true, message: "Shop front is up" });
    expect((await post(`${base}/webhooks/uptime/uptime-generic`, JSON.stringify({ up: false, message: "no" }), { authorization: "Bearer uptime-token-123" })).status).toBe(202);
    expect(h.store.lastUptimeReport("uptime-generic")).toMatchObject({ up: false, message: "no" });
  });

  it("records a report that says when it was made only when fresh and newer than the last: a replayed or late report changes nothing", async () => {
    await open();
    const send = async (report: Record<string, unknown>) => {
      const res = await post(`${base}/webhooks/uptime/uptime-generic`, JSON.stringify(report), { authorization: "Bearer uptime-token-123" });
      return { status: res.status, body: JSON.parse(res.body) as { status: string } };
    };
    const now = Date.now();
    const down = { up: false, message: "HTTP 500", at: new Date(now - 60_000).toISOString() };
    const up = { up: true, message: "recovered", at: now - 30_000 };
    expect((await send(down)).body.status).toBe("recorded");
    // The sender's retry of the "down", arriving after a newer "up", and a captured "up" replayed an hour later.
    expect((await send(up)).body.status).toBe("recorded");
    expect(await send(down)).toEqual({ status: 200, body: expect.objectContaining({ status: "out-of-order" }) });
    expect(h.store.lastUptimeReport("uptime-generic")).toMatchObject({ up: true, message: "recovered" });
    expect((await send({ up: true, at: now - 3_600_000 })).body.status).toBe("stale");
    expect((await send({ up: false, at: now + 3_600_000 })).body.status).toBe("stale");
    expect((await send({ up: false, at: "yesterday-ish" })).status).toBe(400);
    expect(h.store.lastUptimeReport("uptime-generic")).toMatchObject({ up: true, at: now - 30_000 });
  });

  it("refuses a report whose `at` names no instant: a date-time without Z or an offset, or epoch seconds, is a 400 saying so, never read in the runtime machine's zone or as 1970", async () => {
    await open();
    const send = async (at: unknown) => {
      const res = await post(`${base}/webhooks/uptime/uptime-generic`, JSON.stringify({ up: false, message: "HTTP 500", at }), { authorization: "Bearer uptime-token-123" });
      return { status: res.status, body: JSON.parse(res.body) as { status?: string; error?: string } };
    };
    const now = Date.now();
    const local = new Date(now - 10_000).toISOString().slice(0, -1);
    for (const at of [local, local.slice(0, 16), new Date(now).toString(), new Date(now).toUTCString()]) {
      const answer = await send(at);
      expect(answer.status, at).toBe(400);
      expect(answer.body.error, at).toContain("Z or an offset");
    }
    const seconds = await send(Math.floor(now / 1000));
    expect(seconds.status).toBe(400);
    expect(seconds.body.error).toContain("milliseconds, not seconds");
    expect(h.store.lastUptimeReport("uptime-generic")).toBeNull();
    const taken = [new Date(now - 10_000).toISOString(), new Date(now - 8_000).toISOString().replace("T", " "), new Date(now - 5_000).toISOString().replace("Z", "+00:00"), new Date(now - 3_000).toISOString().replace("Z", "+0000"), now - 1_000];
    for (const at of taken) expect((await send(at)).body.status, String(at)).toBe("recorded");
  });

  it("refuses uptime reports with a wrong token, unknown monitors and malformed bodies", async () => {
    await open();
    const body = JSON.stringify({ event: "down" });
    expect((await post(`${base}/webhooks/uptime/uptime-robot`, body, { "x-watchkeeper-token": "nope" })).status).toBe(401);
    expect((await post(`${base}/webhooks/uptime/checkout`, body, { "x-watchkeeper-token": "uptime-token-123" })).status).toBe(404);
    expect((await post(`${base}/webhooks/uptime/uptime-robot`, JSON.stringify({ event: "sideways" }), { "x-watchkeeper-token": "uptime-token-123" })).status).toBe(400);
    expect(h.store.lastUptimeReport("uptime-robot")).toBeNull();
  });
});

describe("silences API", () => {
  const API_TOKEN = "api-token-canary-0001";
  const bearer = { authorization: `Bearer ${API_TOKEN}` };
  let h: Harness;
  afterEach(async () => h?.destroy());

  it("creates, lists and expires a silence that mutes matching triggers", async () => {
    const pdServer = new PagerDutyServer();
    await pdServer.start();
    try {
      h = makeHarness({ manifest: manifest(), secrets: { SHOP_KEY: routingKey("shop"), WATCHKEEPER_API_TOKEN: API_TOKEN }, options: { env: { WK_PAGERDUTY_EVENTS_URL: pdServer.url } } });
      const base = await h.serve();
      const created = await post(`${base}/api/silences`, JSON.stringify({ comment: "deploy", createdBy: "ada", duration: "1h", matchers: { monitors: ["checkout"] } }), bearer);
      expect(created.status).toBe(201);
      const { id } = JSON.parse(created.body) as { id: string };
      const listed = (await (await fetch(`${base}/api/silences`, { headers: bearer })).json()) as { silences: { id: string; active: boolean }[] };
      expect(listed.silences).toEqual([expect.objectContaining({ id, active: true })]);

      h.delivery.start();
      const { intentFor } = await import("./support/harness.js");
      h.enqueue(intentFor("checkout", "trigger", { dedupKey: "wk-checkout-a" }));
      await until(() => h.deliveries.forAlert("wk-checkout-a").length > 0);
      expect(h.deliveries.forAlert("wk-checkout-a")[0]).toMatchObject({ status: "suppressed", lastError: `silence ${id}` });

      expect((await fetch(`${base}/api/silences/${id}?expiredBy=ada`, { method: "DELETE", headers: bearer })).status).toBe(204);
      h.enqueue(intentFor("checkout", "trigger", { dedupKey: "wk-checkout-b" }));
      await pdServer.waitFor(() => pdServer.events().length === 1);
      expect(pdServer.events()[0]).toMatchObject({ dedup_key: "wk-checkout-b" });
      expect((await post(`${base}/api/silences`, JSON.stringify({ comment: "x", createdBy: "y", duration: "1h", matchers: {} }), bearer)).status).toBe(400);
    } finally {
      await pdServer.stop();
    }
  });
});
