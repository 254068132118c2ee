import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newAlert, rulesOf } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { pagerDutySignature } from "../../runtime/inbound/signature.js";
import { makeHarness, type Harness } from "../delivery/support/harness.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";

const SECRET = "pd-webhook-secret-replay";
const MINUTE = 60_000;
const manifest = testManifest({ monitors: [testMonitor("checkout", { service: "shop" })], services: [testService("shop")], secrets: ["PAGERDUTY_WEBHOOK_SECRET"] });
const rules = rulesOf(manifest.monitors[0]!);

/** A PagerDuty v3 incident event, signed as PagerDuty signs it (the body, never the headers). */
function signedEvent(o: { id: string; type: "incident.acknowledged" | "incident.resolved"; occurredAt: number | string; incidentCreatedAt: number; service?: string }) {
  const body = JSON.stringify({
    event: {
      id: o.id,
      event_type: o.type,
      resource_type: "incident",
      occurred_at: typeof o.occurredAt === "number" ? new Date(o.occurredAt).toISOString() : o.occurredAt,
      agent: { id: "PUSER01", summary: "Ada Lovelace", type: "user_reference" },
      client: null,
      data: {
        id: `PINC-${o.incidentCreatedAt}`,
        type: "incident",
        status: o.type.split(".")[1],
        incident_key: "wk-checkout",
        created_at: new Date(o.incidentCreatedAt).toISOString(),
        title: "checkout is failing",
        ...(o.service ? { service: { id: o.service, type: "service_reference", summary: o.service } } : {}),
      },
    },
  });
  return { body, signature: pagerDutySignature(body, SECRET) };
}

describe("PagerDuty webhooks act once, only while fresh, and only on their own episode", () => {
  let h: Harness;
  let base = "";
  let dir: string | undefined;
  let serviceIds: string | undefined;
  afterEach(async () => {
    await h?.destroy();
    dir = undefined;
    if (serviceIds) rmSync(serviceIds, { force: true });
    serviceIds = undefined;
  });

  const open = async () => {
    h = makeHarness({
      manifest,
      secrets: { PAGERDUTY_WEBHOOK_SECRET: SECRET },
      realAlerts: true,
      ...(dir ? { dir } : {}),
      ...(serviceIds ? { options: { env: { WK_PAGERDUTY_SERVICE_IDS_FILE: serviceIds } } } : {}),
    });
    base = await h.serve();
  };
  const post = async (e: { body: string; signature: string }, webhookId: string) => {
    const res = await fetch(`${base}/webhooks/pagerduty`, {
      method: "POST",
      body: e.body,
      headers: { "content-type": "application/json", "x-pagerduty-signature": e.signature, "x-webhook-id": webhookId },
    });
    return { status: res.status, body: (await res.json()) as { status?: string; reason?: string; error?: string } };
  };
  /** Fires the alert at `at` (a new episode when it was resolved before). */
  const fire = (at: number) => {
    const alert = h.store.alertByKey("wk-checkout") ?? newAlert("checkout", {}, "wk-checkout", at);
    const t = evaluate(alert, { kind: "failing", value: 503, summary: "checkout is failing", details: {} }, at, rules);
    expect(t.alert.state).toBe("firing");
    h.store.commitAlerts({ alerts: [t.alert], readVersions: {}, intents: t.intents, at: at });
  };
  const recover = (at: number) => {
    const t = evaluate(h.store.alertByKey("wk-checkout")!, { kind: "ok", value: 200, summary: "ok", details: {} }, at, rules);
    h.store.commitAlerts({ alerts: [t.alert], readVersions: {}, intents: t.intents, at: at });
  };
  const state = () => h.store.alertByKey("wk-checkout")!.state;

  it("a legitimate resolve of the current incident resolves the alert", async () => {
    await open();
    const now = Date.now();
    fire(now - 5 * MINUTE);
    const ack = await post(signedEvent({ id: "E-ack", type: "incident.acknowledged", occurredAt: now - 2 * MINUTE, incidentCreatedAt: now - 5 * MINUTE + 2_000 }), "wh-1");
    expect(ack).toEqual({ status: 200, body: { status: "acknowledged" } });
    expect(h.store.alertByKey("wk-checkout")!.acknowledgedBy).toBe("Ada Lovelace");
    const res = await post(signedEvent({ id: "E-res", type: "incident.resolved", occurredAt: now, incidentCreatedAt: now - 5 * MINUTE + 2_000 }), "wh-2");
    expect(res).toEqual({ status: 200, body: { status: "resolved" } });
    expect(state()).toBe("inactive");
  });

  it("a captured resolve sent again with a fresh X-Webhook-Id does not resolve the next episode", async () => {
    await open();
    const now = Date.now();
    fire(now - 4 * MINUTE);
    const captured = signedEvent({ id: "E-1", type: "incident.resolved", occurredAt: now - 3 * MINUTE, incidentCreatedAt: now - 4 * MINUTE });
    expect((await post(captured, "wh-original")).body.status).toBe("resolved");
    fire(now - MINUTE); // the next episode
    const replay = await post(captured, "wh-forged-fresh-id");
    expect(replay).toEqual({ status: 200, body: { status: "duplicate" } });
    expect(state()).toBe("firing");
  });

  it("the replay record survives a restart", async () => {
    await open();
    dir = h.dir;
    const now = Date.now();
    fire(now - 4 * MINUTE);
    const captured = signedEvent({ id: "E-restart", type: "incident.acknowledged", occurredAt: now - MINUTE, incidentCreatedAt: now - 4 * MINUTE });
    expect((await post(captured, "wh-a")).body.status).toBe("acknowledged");
    await h.close();
    await open();
    expect((await post(captured, "wh-b")).body.status).toBe("duplicate");
  });

  it("an event older than webhookMaxAge (10 min by default), or from the future, does nothing and is not retried", async () => {
    await open();
    const now = Date.now();
    fire(now - 60 * MINUTE);
    const stale = await post(signedEvent({ id: "E-old", type: "incident.resolved", occurredAt: now - 11 * MINUTE, incidentCreatedAt: now - 59 * MINUTE }), "wh-old");
    expect(stale.status).toBe(200);
    expect(stale.body.status).toBe("stale");
    const ahead = await post(signedEvent({ id: "E-ahead", type: "incident.resolved", occurredAt: now + 5 * MINUTE, incidentCreatedAt: now - 59 * MINUTE }), "wh-ahead");
    expect(ahead.body.status).toBe("stale");
    expect(state()).toBe("firing");
    expect(h.lines.filter((l) => l.includes("PagerDuty webhook not acted on"))).toHaveLength(2);
    // Within the clock-skew allowance (60 s ahead) an event still counts.
    const skewed = await post(signedEvent({ id: "E-skew", type: "incident.resolved", occurredAt: now + 30_000, incidentCreatedAt: now - 59 * MINUTE }), "wh-skew");
    expect(skewed.body.status).toBe("resolved");
  });

  it("an event whose occurred_at is not a date is refused as malformed", async () => {
    await open();
    fire(Date.now() - MINUTE);
    const res = await post(signedEvent({ id: "E-bad", type: "incident.resolved", occurredAt: "yesterday-ish", incidentCreatedAt: Date.now() - MINUTE }), "wh-bad");
    expect(res.status).toBe(400);
    expect(state()).toBe("firing");
  });

  it("a late resolve of an old incident, arriving after the alert fired again, changes nothing", async () => {
    await open();
    const now = Date.now();
    fire(now - 9 * MINUTE); // episode 1, incident opened in PagerDuty 1 s later
    recover(now - 8 * MINUTE);
    fire(now - 2 * MINUTE); // episode 2
    const late = await post(signedEvent({ id: "E-late", type: "incident.resolved", occurredAt: now - MINUTE, incidentCreatedAt: now - 9 * MINUTE + 1_000 }), "wh-late");
    expect(late).toEqual({ status: 200, body: { status: "earlier-episode" } });
    const lateAck = await post(signedEvent({ id: "E-late-ack", type: "incident.acknowledged", occurredAt: now - MINUTE, incidentCreatedAt: now - 9 * MINUTE + 1_000 }), "wh-late-ack");
    expect(lateAck.body.status).toBe("earlier-episode");
    const alert = h.store.alertByKey("wk-checkout")!;
    expect(alert).toMatchObject({ state: "firing", acknowledgedBy: null });
    // Episode 2's own incident still resolves it.
    const own = await post(signedEvent({ id: "E-own", type: "incident.resolved", occurredAt: now, incidentCreatedAt: now - 2 * MINUTE + 1_000 }), "wh-own");
    expect(own.body.status).toBe("resolved");
    expect(state()).toBe("inactive");
  });

  it("an incident with the same key on another PagerDuty service (another project, or anyone with an integration key) changes nothing", async () => {
    // `wk deploy` wrote the PagerDuty ID of the service the monitor pages.
    serviceIds = join(tmpdir(), `wk-service-ids-${process.pid}-${Date.now()}.json`);
    writeFileSync(serviceIds, JSON.stringify({ shop: "PSHOP01" }));
    await open();
    const now = Date.now();
    fire(now - 3 * MINUTE);
    for (const type of ["incident.acknowledged", "incident.resolved"] as const) {
      const foreign = await post(signedEvent({ id: `E-foreign-${type}`, type, occurredAt: now - MINUTE, incidentCreatedAt: now - 2 * MINUTE, service: "PMARKETING" }), `wh-${type}`);
      expect(foreign).toEqual({ status: 200, body: { status: "other-service" } });
    }
    expect(state()).toBe("firing");
    expect(h.store.alertByKey("wk-checkout")!.acknowledgedBy).toBeNull();
    expect(h.lines.join("\n")).toMatch(/PagerDuty service this alert does not page/);
    // Its own service's incident still acts.
    const own = await post(signedEvent({ id: "E-own-service", type: "incident.resolved", occurredAt: now, incidentCreatedAt: now - 3 * MINUTE + 1_000, service: "PSHOP01" }), "wh-own-service");
    expect(own.body.status).toBe("resolved");
    expect(state()).toBe("inactive");
  });
});
