import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { StoreAlertControl } from "../../runtime/inbound/alert-control.js";
import { createLogger } from "../../runtime/logger.js";
import { createDelivery } from "../../runtime/notify/index.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { PagerDutyServer } from "../support/vendors/index.js";

const ROUTING_KEY = "canary0routing0key0do0not0log000";
const KEY = "wk-checkout";

/** Waits for a condition on a real clock, failing with what it waited for. */
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One runtime with a real check against a loopback target, real delivery to a PagerDuty stand-in
 * that fails twice, and its log stream captured: each alert transition and each notification
 * outcome is one line, naming the monitor, the alert and the destination, and no secret.
 */
describe("the log says what happened to an alert, one line per transition and per notification outcome", () => {
  let dir: string;
  let target: Server;
  let healthy = false;
  const pd = new PagerDutyServer();
  let runtime: Runtime;
  let text = "";
  let stored: { events: string[]; attempts: Array<{ type: string; outcome: string; vendorStatus: number | null; detail: string | null }> } = { events: [], attempts: [] };
  const lines = () =>
    text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const about = (msg: string) => lines().filter((l) => l["msg"] === msg && l["dedupKey"] === KEY);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-logs-"));
    target = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end(healthy ? "ok" : "down"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    await pd.start();
    // The vendor is down for the first two attempts, and says so.
    pd.failNext(2, { status: 503, body: { status: "unavailable", message: "PagerDuty is having a moment" } });
    const base = testMonitor("checkout");
    const manifest = testManifest({
      monitors: [
        testMonitor("checkout", {
          schedule: { kind: "every", every: "1s" },
          for: "1s",
          service: "shop",
          check: { ...(base.check as Extract<typeof base.check, { kind: "http" }>), url: `http://127.0.0.1:${(target.address() as { port: number }).port}/`, timeout: "2s" },
        }),
      ],
      services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })],
      secrets: ["SHOP_KEY"],
    });
    const secrets = createSecretSource({ declared: manifest.secrets, env: { SHOP_KEY: ROUTING_KEY }, now: Date.now });
    const destination = new Writable({ write(chunk, _e, done) { text += String(chunk); done(); } });
    const logger = createLogger({ secretValues: () => secrets.values(), destination });
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      logger,
      secrets,
      delivery: (deps) => createDelivery(deps, { settings: { pagerDutyEventsUrl: pd.url }, backoff: { initialMs: 100, maxMs: 200 }, random: () => 0 }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
    });
    await runtime.start();
    await until("the trigger to reach PagerDuty", () => pd.events().some((e) => e["event_action"] === "trigger"));
    // Acknowledged in PagerDuty: the runtime's own AlertControl, as the webhook route calls it.
    const control = new StoreAlertControl(runtime.store, manifest, logger);
    const alert = (await runtime.store.readAlert(KEY))!.alert;
    expect(await control.acknowledge(KEY, "Ada Lovelace", Date.now(), { openedAt: alert.firedAt! })).toBe("applied");
    await until("the acknowledge to reach PagerDuty", () => pd.events().some((e) => e["event_action"] === "acknowledge"));
    healthy = true;
    await until("the resolve to reach PagerDuty", () => pd.events().some((e) => e["event_action"] === "resolve"));
    await runtime.stop();
    const reopened = SqliteStore.open(join(dir, "state"));
    stored = { events: reopened.alertEvents(KEY).map((e) => e.kind), attempts: reopened.deliveryAttempts(KEY) };
    reopened.close();
  }, 60_000);

  afterAll(async () => {
    await pd.stop();
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("logs pending, firing, acknowledged and resolved once each, with the monitor and the alert", () => {
    for (const msg of ["alert pending", "alert firing", "alert acknowledged", "alert resolved"]) {
      const found = about(msg);
      expect(found, msg).toHaveLength(1);
      expect(found[0], msg).toMatchObject({ monitorId: "checkout", dedupKey: KEY });
    }
    expect(about("alert acknowledged")[0]).toMatchObject({ by: "Ada Lovelace" });
    expect(about("alert cleared without firing")).toEqual([]);
  });

  it("logs each retry with the vendor's answer, and each notification sent, once, naming the destination", () => {
    const retries = about("notification failed, will retry");
    expect(retries).toHaveLength(2);
    for (const r of retries) {
      expect(r).toMatchObject({ monitorId: "checkout", destination: "service:shop", notification: "trigger", status: 503 });
      expect(String(r["answer"])).toContain("PagerDuty is having a moment");
    }
    expect(retries.map((r) => r["attempt"])).toEqual([1, 2]);
    const sent = about("notification sent");
    expect(sent.map((s) => [s["notification"], s["destination"], s["status"]])).toEqual([
      ["trigger", "service:shop", 202],
      ["acknowledge", "service:shop", 202],
      ["resolve", "service:shop", 202],
    ]);
    expect(sent[0]).toMatchObject({ attempt: 3 });
    // Nothing else reports the same outcomes again.
    expect(lines().filter((l) => /delivery (will be retried|failed)/.test(String(l["msg"])))).toEqual([]);
  });

  it("writes no secret, in any form", () => {
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(ROUTING_KEY);
    expect(text).not.toContain(encodeURIComponent(ROUTING_KEY).slice(0, 12) + "0");
  });

  it("the store keeps the same story, across a restart: transitions and every attempt with the vendor's answer", () => {
    expect(stored.events).toEqual(["pending", "firing", "acknowledged", "resolved"]);
    const attempts = stored.attempts;
    expect(attempts.map((a) => [a.type, a.outcome, a.vendorStatus])).toEqual([
      ["trigger", "retrying", 503],
      ["trigger", "retrying", 503],
      ["trigger", "sent", 202],
      ["acknowledge", "sent", 202],
      ["resolve", "sent", 202],
    ]);
    expect(attempts[0]!.detail).toContain("PagerDuty is having a moment");
  });
});
