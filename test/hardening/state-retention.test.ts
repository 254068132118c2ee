import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { newAlert, rulesOf, type Alert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { Pruner } from "../../runtime/store/pruner.js";
import { retentionOf } from "../../runtime/store/retention.js";
import type { ResultRow } from "../../runtime/evaluate/evaluation-store.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { replayWindowMs } from "../../runtime/inbound/event-age.js";
import { FakeClock } from "../runtime/support/fake-clock.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-01-05T00:00:00Z");
const TABLES = [
  "alerts",
  "results",
  "history_monitors",
  "rollups",
  "alert_events",
  "outbox",
  "delivery_deliveries",
  "delivery_attempts",
  "delivery_notify_log",
  "delivery_silences",
  "delivery_webhook_ids",
  "alert_diagnostics",
  "silence_records",
] as const;
const ALERTS_PER_HOUR = 6;

const manifest = manifestOf([monitorSpec({ id: "api" })]);
const rules = rulesOf(manifest.monitors[0]!);

/** A runtime's stores over one database, with the pruner the runtime starts, on a fake clock. */
function world(dir: string) {
  const clock = new FakeClock(T0);
  const store = SqliteStore.open(dir, T0, { webhookReplayWindowMs: replayWindowMs(10 * 60_000) });
  // Eight weeks of commits in seconds: durability against power loss is not what this test is about.
  store.db.pragma("synchronous = OFF");
  const deliveries = store;
  // Hourly rollups are kept 90 days by default, longer than this run: 30 here, so they level off too.
  const retention = { ...retentionOf(DEFAULT_RUNTIME_SETTINGS), rollups: 30 * DAY };
  const pruner = new Pruner({ stores: [store], retention, clock, logger: pino({ level: "silent" }) });
  const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const counts = () => Object.fromEntries(TABLES.map((t) => [t, count(t)])) as Record<(typeof TABLES)[number], number>;
  const pages = () => (store.db.pragma("page_count", { simple: true }) as number) + 0;
  return { clock, store, deliveries, pruner, counts, pages };
}

describe("everything the runtime stores has a retention", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("eight simulated weeks of alerts, deliveries, silences and webhooks: every table and the file stop growing", async () => {
    dir = mkdtempSync(join(tmpdir(), "wk-retention-"));
    const w = world(dir);
    const { clock, store, deliveries } = w;

    /** Moves intents into deliveries and sends them, as the dispatcher and worker do; skips `keep`. */
    const deliver = (now: number, keep: (i: NotificationIntent) => boolean = () => false) => {
      for (const s of store.undispatched(10_000)) {
        if (keep(s.intent)) continue;
        store.dispatchIntent(s, [{ destination: "pagerduty:shop", status: "pending", due: now, reason: null }], now);
      }
      for (const row of deliveries.dueHeads(now, 10_000)) {
        const logged = { dedupKey: row.intent.dedupKey, destination: row.destination, state: row.intent.type === "resolve" ? "resolve" : "trigger" };
        deliveries.recordOutcome({ id: row.id, attemptsBefore: row.attempts, outcome: { kind: "sent", status: 202, answer: "{}", ref: null, at: now }, now, logged });
      }
    };
    const transition = (alert: Alert, failing: boolean, at: number, monitorId: string) => {
      const t = evaluate(alert, failing ? { kind: "failing", value: 500, summary: "down", details: {} } : { kind: "ok", value: 200, summary: "up", details: {} }, at, rules);
      for (const i of t.intents) if (i.type === "trigger") i.details = { ...i.details, diagnostics: "== DNS: api.example.com ==\n  A 192.0.2.10" };
      const result: ResultRow = { monitorId, at, ok: !failing, firing: failing, value: failing ? 500 : 200, message: failing ? "HTTP 500" : "HTTP 200", labels: alert.labels, durationMs: 5 };
      store.recordEvaluation({ monitorId, alerts: [t.alert], readVersions: {}, results: [result], intents: t.intents, events: t.events, at });
      return t.alert;
    };

    // What must survive any retention: an alert firing for the whole run, its sent trigger in the
    // notification log, an intent never dispatched, a delivery still pending, a long silence.
    const forever = transition(newAlert("api", { instance: "forever" }, "wk-api-forever", T0), true, T0, "api");
    deliver(T0);
    const stuck = (at: number): NotificationIntent => ({
      id: "wk-stuck:1", type: "trigger", monitorId: "api", dedupKey: "wk-stuck", labels: {}, severity: "critical", summary: "stuck", value: null, details: {}, at, firedAt: at,
    });
    store.enqueue(stuck(T0));
    const parked = { ...stuck(T0), id: "wk-parked:1", dedupKey: "wk-parked" };
    const parkedSeq = store.enqueue(parked);
    store.dispatchIntent({ seq: parkedSeq, intent: parked, createdAt: T0 }, [{ destination: "pagerduty:shop", status: "pending", due: T0 + 365 * DAY, reason: null }], T0);
    const longSilence = store.addSilence({ comment: "migration", createdBy: "ada", startsAt: T0, endsAt: T0 + 70 * DAY, matchers: { monitors: ["api"], services: [], labels: {} } }, T0);

    w.pruner.start();
    const snapshots: Array<{ day: number; counts: ReturnType<typeof w.counts>; pages: number }> = [];
    for (let hour = 0; hour < 8 * 7 * 24; hour++) {
      const now = clock.now();
      const day = Math.floor(hour / 24);
      // Series come and go: each day brings new label sets, and a new monitor id each week.
      const monitorId = `api-week-${Math.floor(day / 7)}`;
      for (let k = 0; k < ALERTS_PER_HOUR; k++) {
        const labels = { instance: `i-${day}-${k}` };
        const key = `wk-api-${day}-${k}`;
        const fired = transition(store.alertByKey(key) ?? newAlert(monitorId, labels, key, now), true, now, monitorId);
        deliver(now, (i) => i.dedupKey === "wk-stuck");
        transition(fired, false, now + 20 * 60_000, monitorId);
        deliver(now + 20 * 60_000, (i) => i.dedupKey === "wk-stuck");
      }
      store.addSilence({ comment: "deploy", createdBy: "ci", startsAt: now, endsAt: now + HOUR, matchers: { monitors: [monitorId], services: [], labels: {} } }, now);
      for (let n = 0; n < 3; n++) store.firstWebhookEvent(`evt-${hour}-${n}`, now);
      await clock.advance(HOUR);
      if (hour % 24 === 23 && (day === 34 || day === 55)) {
        await w.pruner.settled();
        snapshots.push({ day, counts: w.counts(), pages: w.pages() });
      }
    }
    await w.pruner.stop();

    const [steady, end] = snapshots as [(typeof snapshots)[0], (typeof snapshots)[0]];
    // Rows per day at this rate times each table's retention, with a day of slack for the timer.
    const perDay = 24 * ALERTS_PER_HOUR;
    const bound = {
      alerts: perDay * 31 + 10,
      // Two evaluations per alert and hour, kept for 48 hours (and an hour of timer slack).
      results: 2 * ALERTS_PER_HOUR * 50,
      history_monitors: 2,
      // Two minutes a hour kept 7 days, one hour bucket a hour and one day bucket a day kept 30, and a day of slack each.
      rollups: 2 * 24 * 8 + 24 * 31 + 31,
      alert_events: 2 * perDay * 31 + 10,
      delivery_attempts: 2 * perDay * 31 + 10,
      outbox: 2 * perDay * 31 + 10,
      delivery_deliveries: 2 * perDay * 31 + 10,
      delivery_notify_log: perDay * 31 + 10,
      delivery_silences: 24 * 31 + 10,
      delivery_webhook_ids: 3 * 24 * 8,
      // One firing per alert, kept with its transitions.
      alert_diagnostics: perDay * 31 + 10,
      // One silence an hour, recorded for as long as alert history after it ended.
      silence_records: 24 * 31 + 10,
    };
    for (const table of TABLES) {
      expect(end.counts[table], table).toBeGreaterThan(0);
      expect(end.counts[table], table).toBeLessThanOrEqual(bound[table]);
      // Steady state: three more weeks of the same traffic leave the count where it was.
      expect(end.counts[table], table).toBeLessThanOrEqual(Math.ceil(steady.counts[table] * 1.05) + 5);
    }
    // Deleted pages are reused, so the file stops growing without VACUUM.
    expect(end.pages).toBeLessThanOrEqual(Math.ceil(steady.pages * 1.05));

    expect(store.alertByKey("wk-api-forever")).toMatchObject({ state: "firing", firedAt: forever.firedAt });
    expect(deliveries.lastSent("wk-api-forever", "pagerduty:shop")).toMatchObject({ state: "trigger" });
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-stuck:1"]);
    expect(deliveries.deliveriesForAlert("wk-parked")).toEqual([expect.objectContaining({ status: "pending" })]);
    expect(store.silenceById(longSilence.id)).not.toBeNull();
    // A resolved alert is kept for its retention: yesterday's are still there.
    expect(store.alertByKey(`wk-api-54-0`)).not.toBeNull();
    store.close();
  }, 300_000);

  it("a webhook id is remembered at least as long as a replay of it could still be fresh", () => {
    dir = mkdtempSync(join(tmpdir(), "wk-retention-"));
    const store = SqliteStore.open(dir, T0, { webhookReplayWindowMs: replayWindowMs(30 * 60_000) });
    store.firstWebhookEvent("evt-1", T0);
    const tiny = { ...retentionOf(DEFAULT_RUNTIME_SETTINGS), inbound: 60_000 };
    expect(store.prune(T0 + 20 * 60_000, tiny, 500)).toBe(0);
    expect(store.firstWebhookEvent("evt-1", T0 + 20 * 60_000)).toBe(false);
    expect(store.prune(T0 + 32 * 60_000, tiny, 500)).toBe(1);
    store.close();
  });
});
