import { describe, expect, it, vi } from "vitest";
import { versionsOf } from "../alerts/alert-store.js";
import { alertKey } from "../alerts/alert-key.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { newAlert, type Alert, type AlertRules } from "../alerts/state.js";
import { acknowledge, evaluate, resolve, unacknowledge, type Transition } from "../alerts/transition.js";
import { HEARTBEAT_CLOCK_SLACK_MS } from "../checks/types.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import { ATTEMPT_DETAIL_MAX } from "./attempt-event.js";
import { DIAGNOSTICS_RECORD_MAX } from "./diagnostics-record.js";
import { PERCENTILE_RELATIVE_ERROR } from "./latency-histogram.js";
import type { DeliveryLanes } from "../notify/delivery-lanes.js";
import type { Store } from "./port.js";
import type { RetentionMs } from "./retention.js";

/** A fresh, empty store of one adapter, and how to throw it away. */
export interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

const rules: AlertRules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical", labels: {} };
const T = 1_767_571_200_000;
const DAY = 86_400_000;
const RETENTION: RetentionMs = { results: DAY, notifications: DAY, silences: DAY, inbound: DAY, resolvedAlerts: DAY, rollups: 30 * DAY, minuteRollups: 2 * DAY };
const failing = { kind: "failing" as const, value: 1, summary: "down", details: {} };
const ok = { kind: "ok" as const, value: 0, summary: "up", details: {} };
const result = (monitorId: string, at: number, okay = false, durationMs = 1): ResultRow => ({ monitorId, at, ok: okay, firing: !okay, value: at, message: "m", labels: {}, durationMs, error: null });

/**
 * One evaluation as a tick does it: read the monitor's alerts with their versions, run the state
 * machine, commit against what was read. Returns the intents committed, or null on a conflict.
 */
async function evaluateOnce(store: Store, monitorId: string, observation: typeof failing | typeof ok, at: number): Promise<NotificationIntent[] | null> {
  const read = await store.readAlerts(monitorId);
  const key = alertKey(monitorId, {});
  const before = read.find((r) => r.alert.dedupKey === key)?.alert ?? newAlert(monitorId, {}, key, at);
  const t = evaluate(before, observation, at, rules);
  const outcome = await store.recordEvaluation({
    monitorId,
    alerts: [t.alert],
    readVersions: { [key]: 0, ...versionsOf(read) },
    results: [result(monitorId, at, observation.kind === "ok")],
    intents: t.intents,
    events: t.events,
    at,
  });
  return outcome.kind === "committed" ? t.intents : null;
}

function intent(dedupKey: string, n: number, type: NotificationIntent["type"] = "trigger", monitorId = "api"): NotificationIntent {
  return { id: `${dedupKey}:${n}`, type, monitorId, dedupKey, labels: {}, severity: "critical", summary: "s", value: null, details: {}, at: T, firedAt: T };
}

/**
 * Every store behaviour the runtime relies on, run against one adapter. Each adapter's test file
 * calls this once; a behaviour that differs between adapters fails here, not in production.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  options: { skip?: string | false; /** False while an adapter's history is not written yet. */ history?: boolean } = {},
): void {
  const suite = options.skip ? describe.skip : describe;
  suite(`Store conformance: ${name}${options.skip ? ` (skipped: ${options.skip})` : ""}`, () => {
    const withStore = (fn: (store: Store) => Promise<void>) => async () => {
      const { store, cleanup } = await makeStore();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    };

    it("commits an evaluation's alert changes, results and intents together", withStore(async (store) => {
      const intents = await evaluateOnce(store, "api", failing, T);
      expect(intents?.map((i) => i.type)).toEqual(["trigger"]);
      expect((await store.readAlerts("api")).map((r) => [r.alert.state, r.version])).toEqual([["firing", 1]]);
      expect((await store.recentResults("api")).map((r) => r.at)).toEqual([T]);
      expect((await store.latestResults()).get("api")).toMatchObject({ at: T, ok: false, firing: true, error: null });
      expect((await store.undispatched(10)).map((s) => s.intent.id)).toEqual(["wk-api:1"]);
      expect(await store.alertStates()).toEqual({ firing: 1 });
      expect(await store.depth()).toBe(1);
    }));

    it("keeps the newest results first and at most 50 per monitor", withStore(async (store) => {
      for (let i = 0; i < 60; i++) {
        await store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [result("api", T + i)], intents: [], at: T + i });
      }
      const recent = await store.recentResults("api");
      expect(recent.length).toBeLessThanOrEqual(60);
      expect(recent.slice(0, 50).length).toBe(50);
      expect(recent[0]!.at).toBe(T + 59);
      expect((await store.recentResults("api", 3)).map((r) => r.at)).toEqual([T + 59, T + 58, T + 57]);
    }));

    it("two replicas evaluating the same alert from the same read: exactly one trigger intent", withStore(async (store) => {
      const key = alertKey("api", {});
      // Both read before either writes.
      const [a, b] = [await store.readAlerts("api"), await store.readAlerts("api")];
      const commit = (read: typeof a, at: number) => {
        const t = evaluate(newAlert("api", {}, key, at), failing, at, rules);
        return store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: { [key]: 0, ...versionsOf(read) }, results: [result("api", at)], intents: t.intents, at });
      };
      const outcomes = await Promise.all([commit(a, T), commit(b, T)]);
      expect(outcomes.map((o) => o.kind).sort()).toEqual(["committed", "conflict"]);
      expect((await store.undispatched(10)).filter((s) => s.intent.type === "trigger")).toHaveLength(1);
      // The loser re-reads, re-evaluates and finds nothing to send.
      const again = await evaluateOnce(store, "api", failing, T + 1);
      expect(again).toEqual([]);
      expect((await store.recentResults("api")).map((r) => r.at)).toEqual([T + 1, T]);
    }));

    it("commits a batch of evaluations, each all or nothing on its own, one outcome each in order", withStore(async (store) => {
      const fire = (monitorId: string, at: number) => {
        const key = alertKey(monitorId, {});
        const t = evaluate(newAlert(monitorId, {}, key, at), failing, at, rules);
        return { monitorId, alerts: [t.alert], readVersions: { [key]: 0 }, results: [result(monitorId, at)], intents: t.intents, events: t.events, at };
      };
      const outcomes = await store.recordEvaluations([fire("a", T), fire("b", T), fire("c", T)]);
      expect(outcomes.map((o) => o.kind)).toEqual(["committed", "committed", "committed"]);
      expect((await store.undispatched(10)).map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-b:1", "wk-c:1"]);
      expect((await store.recentResults("b")).map((r) => r.at)).toEqual([T]);
      expect((await store.alertEvents(alertKey("c", {}))).map((e) => e.kind)).toEqual(["firing"]);
      expect(await store.recordEvaluations([])).toEqual([]);
    }));

    it("one bad evaluation in a batch fails alone: the others commit, it writes nothing", withStore(async (store) => {
      const fire = (monitorId: string, at: number) => {
        const key = alertKey(monitorId, {});
        const t = evaluate(newAlert(monitorId, {}, key, at), failing, at, rules);
        return { monitorId, alerts: [t.alert], readVersions: { [key]: 0 }, results: [result(monitorId, at)], intents: t.intents, events: t.events, at };
      };
      const bad = fire("bad", T);
      // A BigInt cannot be stored: the intent's write throws after its alert and result were written.
      bad.intents = bad.intents.map((i) => ({ ...i, details: { size: 1n } }));
      const outcomes = await store.recordEvaluations([fire("a", T), bad, fire("c", T)]);
      expect(outcomes.map((o) => o.kind)).toEqual(["committed", "failed", "committed"]);
      expect((await store.undispatched(10)).map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-c:1"]);
      expect(await store.readAlerts("bad")).toEqual([]);
      expect(await store.recentResults("bad")).toEqual([]);
      expect(await store.alertEvents(alertKey("bad", {}))).toEqual([]);
      expect(await store.alertStates()).toEqual({ firing: 2 });
    }));

    it("two evaluations of one alert from the same read in one batch: the second conflicts, one trigger", withStore(async (store) => {
      const key = alertKey("api", {});
      const commit = (at: number) => {
        const t = evaluate(newAlert("api", {}, key, at), failing, at, rules);
        return { monitorId: "api", alerts: [t.alert], readVersions: { [key]: 0 }, results: [result("api", at)], intents: t.intents, at };
      };
      const outcomes = await store.recordEvaluations([commit(T), commit(T + 1)]);
      expect(outcomes.map((o) => o.kind)).toEqual(["committed", "conflict"]);
      expect((await store.undispatched(10)).map((s) => s.intent.id)).toEqual(["wk-api:1"]);
      expect((await store.recentResults("api")).map((r) => r.at)).toEqual([T]);
    }));

    it("a late evaluation of an older tick never overwrites a newer tick's: a stale ok does not resolve a firing alert", withStore(async (store) => {
      const key = alertKey("api", {});
      // The tick at T + 10 fired the alert; a replica that stalled since T writes its ok late.
      await evaluateOnce(store, "api", failing, T + 10);
      const read = (await store.readAlert(key))!;
      expect(read.alert).toMatchObject({ state: "firing", evaluatedAt: T + 10 });
      const staleOk = { ...read.alert, state: "inactive" as const, activeAt: null, resolvedAt: T, consecutiveFailures: 0, consecutiveSuccesses: 1, updatedAt: T, evaluatedAt: T };
      const staleIntent = intent(key, read.alert.sequence + 1, "resolve");
      // Whether or not it read the current version (a write that names no version is checked too).
      for (const readVersions of [{ [key]: read.version }, {}]) {
        const outcome = await store.recordEvaluation({ monitorId: "api", alerts: [staleOk], readVersions, results: [result("api", T, true)], intents: [staleIntent], at: T });
        expect(outcome).toEqual({ kind: "conflict", dedupKeys: [key] });
      }
      expect((await store.readAlert(key))!.alert).toMatchObject({ state: "firing", evaluatedAt: T + 10 });
      expect((await store.undispatched(10)).map((s) => s.intent.type)).toEqual(["trigger"]);
      // Re-read and re-evaluated, the old tick changes nothing and sends nothing.
      expect(await evaluateOnce(store, "api", ok, T)).toEqual([]);
      expect((await store.readAlert(key))!.alert.state).toBe("firing");
    }));

    it("a late evaluation of an older tick never re-fires an alert a newer tick resolved", withStore(async (store) => {
      const key = alertKey("api", {});
      await evaluateOnce(store, "api", failing, T);
      await evaluateOnce(store, "api", ok, T + 20);
      expect((await store.readAlert(key))!.alert).toMatchObject({ state: "inactive", evaluatedAt: T + 20 });
      // The replica that checked the tick at T + 10 and saw it failing writes after the resolve.
      expect(await evaluateOnce(store, "api", failing, T + 10)).toEqual([]);
      expect((await store.readAlert(key))!.alert).toMatchObject({ state: "inactive", evaluatedAt: T + 20 });
      expect((await store.undispatched(10)).map((s) => s.intent.type)).toEqual(["trigger", "resolve"]);
    }));

    it("resolve from outside and an evaluation racing: the alert resolves once", withStore(async (store) => {
      await evaluateOnce(store, "api", failing, T);
      const key = alertKey("api", {});
      const read = (await store.readAlert(key))!;
      const tick = evaluate(read.alert, ok, T + 1, rules);
      const outside = evaluate(read.alert, ok, T + 2, rules);
      const first = await store.commitAlerts({ alerts: [outside.alert], readVersions: { [key]: read.version }, intents: outside.intents, at: T + 2 });
      const second = await store.recordEvaluation({ monitorId: "api", alerts: [tick.alert], readVersions: { [key]: read.version }, results: [], intents: tick.intents, at: T + 1 });
      expect([first.kind, second.kind]).toEqual(["committed", "conflict"]);
      expect(second).toEqual({ kind: "conflict", dedupKeys: [key] });
      expect((await store.undispatched(10)).filter((s) => s.intent.type === "resolve")).toHaveLength(1);
    }));

    it("enqueues idempotently by intent id and hands the outbox out in order", withStore(async (store) => {
      const first = await store.enqueue(intent("wk-a", 1));
      expect(await store.enqueue(intent("wk-a", 1))).toBe(first);
      await store.enqueue(intent("wk-b", 1));
      await store.enqueue(intent("wk-a", 2, "resolve"));
      const out = await store.undispatched(10);
      expect(out.map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-b:1", "wk-a:2"]);
      expect(out.map((s) => s.seq)).toEqual([...out.map((s) => s.seq)].sort((x, y) => x - y));
      expect((await store.undispatched(2)).length).toBe(2);
    }));

    it("dispatches each intent exactly once, with its deliveries and the firing set", withStore(async (store) => {
      const seq = await store.enqueue(intent("wk-a", 1));
      const stored = (await store.undispatched(1))[0]!;
      expect(stored.seq).toBe(seq);
      const rows = [
        { destination: "pd", status: "pending" as const, due: T, reason: null },
        { destination: "slack", status: "suppressed" as const, due: T, reason: "silence s1" },
      ];
      const [one, two] = await Promise.all([store.dispatchIntent(stored, rows, T), store.dispatchIntent(stored, rows, T)]);
      expect([one, two].sort()).toEqual([false, true]);
      expect(await store.depth()).toBe(0);
      expect(await store.undispatched(10)).toEqual([]);
      const records = await store.deliveriesForAlert("wk-a");
      expect(records.map((r) => [r.destination, r.status, r.lastError])).toEqual([["pd", "pending", null], ["slack", "suppressed", "silence s1"]]);
      expect(await store.pendingCount()).toBe(1);
      expect(await store.isMonitorFiring("api")).toBe(true);
      const resolve = intent("wk-a", 2, "resolve");
      await store.enqueue(resolve);
      await store.dispatchIntent((await store.undispatched(1))[0]!, [], T);
      expect(await store.isMonitorFiring("api")).toBe(false);
      // The log channel marks without deliveries.
      await store.enqueue(intent("wk-c", 1));
      const c = (await store.undispatched(1))[0]!;
      await store.markDispatched(c.seq, T);
      expect(await store.depth()).toBe(0);
    }));

    it("only the oldest pending delivery per alert and destination is due; outcomes move the lane on", withStore(async (store) => {
      for (const [n, type] of [[1, "trigger"], [2, "resolve"]] as const) {
        await store.enqueue(intent("wk-a", n, type));
        await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
      }
      const heads = await store.dueHeads(T, 10);
      expect(heads.map((h) => h.intent.id)).toEqual(["wk-a:1"]);
      const head = heads[0]!;
      expect(head).toMatchObject({ destination: "pd", attempts: 0, firstDueAt: T, nextAttemptAt: T });
      expect(await store.nextDueAt()).toBe(T);
      await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "retry", at: T + 1000, reason: "HTTP 503", status: 503, answer: "down" }, now: T });
      expect(await store.dueHeads(T, 10)).toEqual([]);
      expect(await store.lastSent("wk-a", "pd")).toBeNull();
      expect((await store.deliveriesForAlert("wk-a"))[0]).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: T + 1000, lastError: "HTTP 503", vendorStatus: 503 });
      await store.recordOutcome({ id: head.id, attemptsBefore: 1, outcome: { kind: "sent", status: 202, answer: "ok", ref: "ref-1", at: T + 1000 }, now: T + 1000, logged: { dedupKey: "wk-a", destination: "pd", state: "trigger" } });
      expect(await store.lastSent("wk-a", "pd")).toEqual({ state: "trigger", ref: "ref-1" });
      expect((await store.deliveriesForAlert("wk-a"))[0]).toMatchObject({ status: "sent", attempts: 2, sentAt: T + 1000, lastError: null, vendorStatus: 202, vendorAnswer: "ok" });
      const next = await store.dueHeads(T + 1000, 10);
      expect(next.map((h) => h.intent.id)).toEqual(["wk-a:2"]);
      await store.markSkipped(next[0]!.id, 0, "no trigger was sent", T + 1000);
      expect(await store.pendingCount()).toBe(0);
      expect(await store.nextDueAt()).toBeNull();
      expect((await store.recentDeliveries(1))[0]).toMatchObject({ intentId: "wk-a:2", status: "skipped", lastError: "no trigger was sent" });
    }));

    it("remembers when a delivery first failed, whatever it waited for before, so retries give up a day after that", withStore(async (store) => {
      await store.enqueue(intent("wk-late", 1));
      await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
      const head = (await store.dueHeads(T, 10))[0]!;
      expect(head.firstFailedAt).toBeUndefined();
      // A day waiting for its routing key: deferrals are not failures.
      await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "deferred", at: T + DAY, reason: "routing key not available" }, now: T });
      expect((await store.dueHeads(T + DAY, 10))[0]?.firstFailedAt).toBeUndefined();
      await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "retry", at: T + DAY + 1_000, reason: "HTTP 503", status: 503, answer: "" }, now: T + DAY });
      await store.recordOutcome({ id: head.id, attemptsBefore: 1, outcome: { kind: "retry", at: T + DAY + 3_000, reason: "HTTP 503", status: 503, answer: "" }, now: T + DAY + 1_000 });
      expect((await store.dueHeads(T + DAY + 3_000, 10))[0]).toMatchObject({ id: head.id, attempts: 2, firstDueAt: T, firstFailedAt: T + DAY });
      // And so does a queue job reading it (scale-out).
      const state = "deliveryState" in store ? await (store as unknown as DeliveryLanes).deliveryState(head.id) : null;
      if (state) expect(state.row.firstFailedAt).toBe(T + DAY);
    }));

    it("keeps the recipients a partly accepted email still owes on the delivery, narrowing only", withStore(async (store) => {
      await store.enqueue(intent("wk-mail", 1));
      await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "mail", status: "pending", due: T, reason: null }], T);
      const head = (await store.dueHeads(T, 10))[0]!;
      // A first attempt owes every recipient: nothing is stored.
      expect(head.owedTo).toBeUndefined();
      const owed = { kind: "retry" as const, reason: "SMTP server deferred b@example.com", status: 451, answer: "250 ok" };
      await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { ...owed, at: T + 10, owedTo: ["b@example.com", "c@example.com"] }, now: T });
      expect((await store.dueHeads(T + 10, 10))[0]).toMatchObject({ id: head.id, owedTo: ["b@example.com", "c@example.com"] });
      // A deferral, and an attempt that reached nobody (the connection failed), owe the same ones.
      await store.recordOutcome({ id: head.id, attemptsBefore: 1, outcome: { kind: "deferred", at: T + 20, reason: "rate limit" }, now: T + 10 });
      await store.recordOutcome({ id: head.id, attemptsBefore: 1, outcome: { kind: "retry", at: T + 30, reason: "connection refused", status: null, answer: "" }, now: T + 20 });
      expect((await store.dueHeads(T + 30, 10))[0]).toMatchObject({ id: head.id, owedTo: ["b@example.com", "c@example.com"] });
      await store.recordOutcome({ id: head.id, attemptsBefore: 2, outcome: { ...owed, at: T + 40, owedTo: ["c@example.com"] }, now: T + 30 });
      expect((await store.dueHeads(T + 40, 10))[0]).toMatchObject({ id: head.id, owedTo: ["c@example.com"] });
    }));

    it("gives at most the asked number of due heads of one destination, oldest first, beside the others", withStore(async (store) => {
      for (let n = 0; n < 12; n++) {
        await store.enqueue(intent(`wk-busy-${n}`, 1));
        await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "busy", status: "pending", due: T + n, reason: null }], T);
      }
      await store.enqueue(intent("wk-quiet", 1));
      await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "quiet", status: "pending", due: T + 20, reason: null }], T);
      const heads = await store.dueHeads(T + 100, 10, 4);
      expect(heads.filter((h) => h.destination === "busy").map((h) => h.intent.dedupKey)).toEqual(["wk-busy-0", "wk-busy-1", "wk-busy-2", "wk-busy-3"]);
      expect(heads.filter((h) => h.destination === "quiet")).toHaveLength(1);
    }));

    it("two workers claiming the same due deliveries never both get one", withStore(async (store) => {
      for (let n = 0; n < 20; n++) {
        await store.enqueue(intent(`wk-${n}`, 1));
        await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
      }
      const ids = (await store.dueHeads(T, 100)).map((h) => h.id);
      expect(ids).toHaveLength(20);
      const [a, b] = await Promise.all([store.claim(ids, T, 60_000), store.claim([...ids].reverse(), T, 60_000)]);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect(a.length + b.length).toBe(20);
      // Claimed rows are not due to anyone until the lease ends (a worker that died lets go then).
      expect(await store.dueHeads(T + 1, 100)).toEqual([]);
      expect((await store.dueHeads(T + 60_000, 100)).length).toBe(20);
      // An outcome ends the claim.
      await store.recordOutcome({ id: ids[0]!, attemptsBefore: 0, outcome: { kind: "deferred", at: T + 5, reason: "rate limit" }, now: T });
      expect((await store.dueHeads(T + 5, 100)).map((h) => h.id)).toEqual([ids[0]]);
    }));

    it("adds, lists and expires silences", withStore(async (store) => {
      const matchers = { monitors: ["api"], services: [], labels: { env: "prod" } };
      const s = await store.addSilence({ comment: "deploy", createdBy: "ada", startsAt: T, endsAt: T + 3_600_000, matchers }, T);
      expect(s).toMatchObject({ kind: "silence", origin: "api", matchers });
      await store.addSilence({ comment: "later", createdBy: "bob", startsAt: T + DAY, endsAt: T + 2 * DAY, matchers }, T + 1);
      expect((await store.currentSilences(T)).map((x) => x.comment)).toEqual(["deploy", "later"]);
      expect(await store.silenceById(s.id)).toEqual(s);
      expect(await store.expireSilence(s.id, T + 10)).toBe(true);
      expect((await store.silenceById(s.id))!.endsAt).toBe(T + 10);
      // Expiring never extends a silence.
      expect(await store.expireSilence(s.id, T + 20)).toBe(true);
      expect((await store.silenceById(s.id))!.endsAt).toBe(T + 10);
      expect((await store.currentSilences(T + 10)).map((x) => x.comment)).toEqual(["later"]);
      expect(await store.expireSilence("api-nope", T)).toBe(false);
      expect(await store.silenceById("api-nope")).toBeNull();
    }));

    it("keeps a record of every silence, who expired it, after the silence itself is pruned", withStore(async (store) => {
      const matchers = { monitors: ["api"], services: [], labels: {} };
      const s = await store.addSilence({ comment: "deploy", createdBy: "ada", startsAt: T, endsAt: T + 3_600_000, matchers }, T - 5);
      const ranOut = await store.addSilence({ comment: "db move", createdBy: "bob", startsAt: T + 10, endsAt: T + 20, matchers }, T);
      await store.addSilence({ comment: "later", createdBy: "eve", startsAt: T + 2 * DAY, endsAt: T + 3 * DAY, matchers }, T);
      expect(await store.expireSilence(s.id, T + 100, "Grace")).toBe(true);
      // A second expiry of an ended silence names nobody new.
      expect(await store.expireSilence(s.id, T + 200, "Mallory")).toBe(true);
      // Past the silences' retention (1 day) but within alert history's (resolvedAlerts, here 2 days).
      const later = T + DAY + 1_000;
      while ((await store.prune(later, { ...RETENTION, resolvedAlerts: 2 * DAY }, 10)) > 0);
      expect(await store.silenceById(s.id)).toBeNull();
      const records = await store.silenceRecords(T, T + DAY);
      expect(records.map((r) => [r.id, r.comment, r.createdBy, r.createdAt, r.startsAt, r.endsAt, r.expiredAt, r.expiredBy])).toEqual([
        [s.id, "deploy", "ada", T - 5, T, T + 100, T + 100, "Grace"],
        [ranOut.id, "db move", "bob", T, T + 10, T + 20, null, null],
      ]);
      expect(records[0]!.matchers).toEqual(matchers);
      // In force at some moment of [since, until) only.
      expect((await store.silenceRecords(T + 100, T + 2 * DAY)).map((r) => r.comment)).toEqual([]);
      expect((await store.silenceRecords(T + 2 * DAY, T + 2 * DAY + 1)).map((r) => r.comment)).toEqual(["later"]);
      // Gone with the alert history they explain.
      while ((await store.prune(T + 4 * DAY + 1, RETENTION, 10)) > 0);
      expect(await store.silenceRecords(0, T + 4 * DAY)).toEqual([]);
    }));

    it("tells watchers which monitors changed as the views see them, once committed, and nothing on a quiet tick", withStore(async (store) => {
      const heard: Array<string[] | null> = [];
      const stop = await store.watchChanges((m) => heard.push(m));
      const tick = (monitorId: string, at: number, error: string | null = null) =>
        store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: [{ ...result(monitorId, at, true), error, firing: error ? null : false }], intents: [], at });
      const expectHeard = (expected: Array<string[] | null>) => vi.waitFor(() => expect(heard).toEqual(expected), { timeout: 2_000 });
      await evaluateOnce(store, "api", failing, T);
      await expectHeard([["api"]]);
      await tick("db", T); // its first result: "no data" becomes OK
      await tick("db", T + 1); // quiet
      await tick("db", T + 2, "timeout"); // starts erroring
      await tick("db", T + 3, "timeout"); // still erroring: quiet
      await tick("db", T + 4); // recovers
      await expectHeard([["api"], ["db"], ["db"], ["db"]]);
      const s = await store.addSilence({ comment: "deploy", createdBy: "ada", startsAt: T, endsAt: T + DAY, matchers: { monitors: ["db"], services: [], labels: {} } }, T);
      await store.expireSilence(s.id, T + 5, "ada");
      await expectHeard([["api"], ["db"], ["db"], ["db"], null, null]);
      stop();
      await evaluateOnce(store, "api", ok, T + 6);
      await evaluateOnce(store, "web", failing, T + 7);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toHaveLength(6);
    }));

    it("keeps when each monitor's erroring streak began, however many results it runs for, and forgets it when the monitor recovers", withStore(async (store) => {
      const tick = (monitorId: string, at: number, errors: Array<string | null>) =>
        store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: errors.map((error) => ({ ...result(monitorId, at, true), error, firing: error ? null : false })), intents: [], at });
      await tick("db", T, [null]);
      // Two label sets in one tick: the streak starts with the first that errored after the last that ran.
      await tick("db", T + 1, [null, "timeout"]);
      for (let n = 2; n < 120; n++) await tick("db", T + n, ["timeout"]);
      await tick("api", T, [null]);
      expect(Object.fromEntries(await store.erroringSince())).toEqual({ db: T + 1 });
      await tick("db", T + 200, ["timeout", null]);
      expect(Object.fromEntries(await store.erroringSince())).toEqual({});
      await tick("db", T + 201, ["refused"]);
      await tick("db", T + 202, ["refused"]);
      expect(Object.fromEntries(await store.erroringSince())).toEqual({ db: T + 201 });
    }));

    it("keeps when each monitor's last erroring streak ended (its first result that ran), for as long as it runs", withStore(async (store) => {
      const tick = (monitorId: string, at: number, errors: Array<string | null>) =>
        store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: errors.map((error) => ({ ...result(monitorId, at, true), error, firing: error ? null : false })), intents: [], at });
      await tick("api", T, [null]);
      await tick("db", T, ["timeout"]);
      await tick("db", T + 1, ["timeout"]);
      expect(Object.fromEntries(await store.erroringEnded())).toEqual({});
      await tick("db", T + 2, ["timeout", null, null]);
      for (let n = 3; n < 120; n++) await tick("db", T + n, [null]);
      expect(Object.fromEntries(await store.erroringEnded())).toEqual({ db: T + 2 });
      await tick("db", T + 200, ["refused"]);
      expect(Object.fromEntries(await store.erroringEnded())).toEqual({});
      await tick("db", T + 201, [null]);
      expect(Object.fromEntries(await store.erroringEnded())).toEqual({ db: T + 201 });
    }));

    it("keeps when a pending alert cleared without firing, for the pages' OK since", withStore(async (store) => {
      const slow = { ...rules, forMs: 60_000 };
      const key = alertKey("api", {});
      const step = async (observation: typeof failing | typeof ok, at: number) => {
        const read = await store.readAlerts("api");
        const t = evaluate(read.find((r) => r.alert.dedupKey === key)?.alert ?? newAlert("api", {}, key, at), observation, at, slow);
        await store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: { [key]: 0, ...versionsOf(read) }, results: [], intents: t.intents, events: t.events, at });
      };
      await step(failing, T);
      await step(ok, T + 1000);
      expect(await store.alertsOf("api")).toMatchObject([{ state: "inactive", firedAt: null, clearedAt: T + 1000 }]);
    }));

    it("remembers a webhook event id the first time only, and forgets it on request", withStore(async (store) => {
      expect(await store.seenWebhookEvent("evt-1")).toBe(false);
      expect(await store.firstWebhookEvent("evt-1", T)).toBe(true);
      expect(await store.seenWebhookEvent("evt-1")).toBe(true);
      expect(await store.firstWebhookEvent("evt-1", T + 1)).toBe(false);
      await store.forgetWebhookEvent("evt-1");
      expect(await store.firstWebhookEvent("evt-1", T + 2)).toBe(true);
    }));

    it("keeps a signed-out session until it would have expired, and prunes it then", withStore(async (store) => {
      await store.recordSignOut("session-a", T + 1000);
      await store.recordSignOut("session-b", T + 5000);
      expect(await store.signedOutSessions(T)).toEqual(expect.arrayContaining([{ sessionId: "session-a", until: T + 1000 }, { sessionId: "session-b", until: T + 5000 }]));
      expect(await store.signedOutSessions(T + 2000)).toEqual([{ sessionId: "session-b", until: T + 5000 }]);
      while ((await store.prune(T + 2000, RETENTION, 1000)) > 0);
      expect(await store.signedOutSessions(0)).toEqual([{ sessionId: "session-b", until: T + 5000 }]);
    }));

    it("a heartbeat stamped by a clock that ran ahead does not hide the pings after the clock was set right", withStore(async (store) => {
      await store.recordHeartbeat("hb", T + 365 * 86_400_000);
      await store.recordHeartbeat("hb", T);
      expect(await store.lastHeartbeat("hb")).toBe(T);
      // Pings out of order by less than HEARTBEAT_CLOCK_SLACK_MS still never move it back.
      await store.recordHeartbeat("hb", T + HEARTBEAT_CLOCK_SLACK_MS);
      await store.recordHeartbeat("hb", T + 1);
      expect(await store.lastHeartbeat("hb")).toBe(T + HEARTBEAT_CLOCK_SLACK_MS);
    }));

    it("records heartbeats (never backwards), uptime reports and emergencies", withStore(async (store) => {
      await store.recordHeartbeat("hb", T + 10);
      await store.recordHeartbeat("hb", T + 5);
      expect(await store.lastHeartbeat("hb")).toBe(T + 10);
      expect(await store.lastHeartbeat("none")).toBeNull();
      await store.recordUptimeReport("up", { up: false, message: "down", at: T });
      expect(await store.lastUptimeReport("up")).toEqual({ up: false, message: "down", at: T });
      expect(await store.lastUptimeReport("none")).toBeNull();
      await store.recordEmergency("em", T, "site down");
      expect(await store.lastEmergency("em")).toEqual({ at: T, message: "site down" });
      await store.recordEmergencyResolved("em", T + 9);
      expect(await store.lastEmergencyResolved("em")).toBe(T + 9);
      expect(await store.writable(T)).toBe(true);
    }));

    it("prunes what outlived its retention but never pending or firing state", withStore(async (store) => {
      // A firing alert whose trigger was sent, an intent never dispatched, a pending delivery.
      await evaluateOnce(store, "firing", failing, T);
      const trig = (await store.undispatched(1))[0]!;
      await store.dispatchIntent(trig, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
      const head = (await store.dueHeads(T, 1))[0]!;
      await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "sent", status: 202, answer: "", ref: null, at: T }, now: T, logged: { dedupKey: trig.intent.dedupKey, destination: "pd", state: "trigger" } });
      await store.enqueue(intent("wk-stuck", 1));
      const parked = intent("wk-parked", 1);
      await store.enqueue(parked);
      const parkedStored = (await store.undispatched(10)).find((s) => s.intent.id === parked.id)!;
      await store.dispatchIntent(parkedStored, [{ destination: "pd", status: "pending", due: T + 365 * DAY, reason: null }], T);
      // A flapping alert that resolved, its intents delivered; an old silence; an old webhook id.
      await evaluateOnce(store, "flap", failing, T);
      await evaluateOnce(store, "flap", ok, T + 1);
      for (const s of await store.undispatched(10)) if (s.intent.monitorId === "flap") await store.dispatchIntent(s, [], T + 1);
      await store.addSilence({ comment: "old", createdBy: "ada", startsAt: T, endsAt: T + 1, matchers: { monitors: [], services: [], labels: {} } }, T);
      await store.firstWebhookEvent("evt-old", T);

      const later = T + 3 * DAY;
      let deleted = 0;
      for (let n = await store.prune(later, RETENTION, 2); n > 0; n = await store.prune(later, RETENTION, 2)) deleted += n;
      expect(deleted).toBeGreaterThan(0);

      expect((await store.readAlert(trig.intent.dedupKey))?.alert.state).toBe("firing");
      expect(await store.lastSent(trig.intent.dedupKey, "pd")).toEqual({ state: "trigger", ref: null });
      expect((await store.undispatched(10)).map((s) => s.intent.id)).toEqual(["wk-stuck:1"]);
      expect((await store.deliveriesForAlert("wk-parked")).map((d) => d.status)).toEqual(["pending"]);
      expect(await store.readAlert(alertKey("flap", {}))).toBeNull();
      expect(await store.recentResults("flap")).toEqual([]);
      expect(await store.currentSilences(T)).toEqual([]);
      expect(await store.firstWebhookEvent("evt-old", later)).toBe(true);
      expect(await store.alertStates()).toEqual({ firing: 1 });
    }));

    it("keeps a resolved alert while a delivery of it is kept, so its next firing's intent ids are new and it is delivered", withStore(async (store) => {
      await evaluateOnce(store, "late", failing, T);
      await evaluateOnce(store, "late", ok, T + 1);
      for (const s of await store.undispatched(10)) await store.dispatchIntent(s, [{ destination: "pd", status: "pending", due: T + 1, reason: null }], T + 1);
      // The vendor was down: the trigger and then the resolve went out two days after the alert resolved.
      const sentAt = T + 2 * DAY;
      for (let i = 0; i < 2; i++) {
        for (const head of await store.dueHeads(sentAt, 10)) {
          const state = head.intent.type === "resolve" ? "resolve" : "trigger";
          await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "sent", status: 202, answer: "", ref: null, at: sentAt }, now: sentAt, logged: { dedupKey: head.intent.dedupKey, destination: "pd", state } });
        }
      }
      // Past the outbox's and the resolved alert's retention (a day), not yet past the deliveries'.
      const later = sentAt + DAY / 2;
      for (let n = await store.prune(later, RETENTION, 10); n > 0; n = await store.prune(later, RETENTION, 10));
      const fired = await evaluateOnce(store, "late", failing, later);
      const trigger = (await store.undispatched(10)).find((s) => s.intent.type === "trigger")!;
      expect(trigger.intent.id).toBe(fired![0]!.id);
      await store.dispatchIntent(trigger, [{ destination: "pd", status: "pending", due: later, reason: null }], later);
      expect((await store.dueHeads(later, 10)).map((r) => [r.intent.id, r.intent.at])).toEqual([[trigger.intent.id, later]]);
    }));

    if (options.history === false) return;
    describeHistory(withStore);
  });
}


const MIN = 60_000;
const HOUR = 60 * MIN;

/** The history behaviours (runtime/store/history.ts): what the views read about the past. */
function describeHistory(withStore: (fn: (store: Store) => Promise<void>) => () => Promise<void>): void {
  const record = (store: Store, monitorId: string, results: ResultRow[], at = results[0]?.at ?? T) =>
    store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results, intents: [], at });

  it("keeps raw results for the results window and a monitor's newest 50 whatever their age", withStore(async (store) => {
    // Every 10 minutes for three days, and a daily job for 60 days.
    for (let at = T; at < T + 3 * DAY; at += 10 * MIN) await record(store, "api", [result("api", at, true)]);
    for (let day = 0; day < 60; day++) await record(store, "daily", [result("daily", T - 57 * DAY + day * DAY, true)]);
    const now = T + 3 * DAY;
    const retention = { ...RETENTION, results: 2 * DAY };
    while ((await store.prune(now, retention, 50)) > 0);
    const kept = await store.resultsBetween("api", 0, now + 1, 10_000);
    expect(kept).toHaveLength((2 * DAY) / (10 * MIN));
    expect(kept[0]!.at).toBe(now - 10 * MIN);
    expect(kept.at(-1)!.at).toBe(now - 2 * DAY);
    expect((await store.resultsBetween("daily", 0, now, 10_000)).length).toBe(50);
    expect((await store.recentResults("daily", 1))[0]!.at).toBe(T + 2 * DAY);
    expect((await store.latestResults()).get("api")!.at).toBe(now - 10 * MIN);
  }));

  it("answers results in a time window newest first, at most the limit", withStore(async (store) => {
    for (let i = 0; i < 10; i++) await record(store, "api", [result("api", T + i * MIN, i % 2 === 0)]);
    await record(store, "other", [result("other", T + 3 * MIN)]);
    const window = await store.resultsBetween("api", T + 2 * MIN, T + 6 * MIN, 100);
    expect(window.map((r) => r.at)).toEqual([T + 5 * MIN, T + 4 * MIN, T + 3 * MIN, T + 2 * MIN]);
    expect(window[0]).toMatchObject({ monitorId: "api", ok: false, firing: true, error: null });
    expect((await store.resultsBetween("api", T, T + HOUR, 3)).map((r) => r.at)).toEqual([T + 9 * MIN, T + 8 * MIN, T + 7 * MIN]);
    expect(await store.resultsBetween("none", T, T + HOUR, 3)).toEqual([]);
  }));

  it("rolls results up per minute and per hour in the evaluation's own commit, all label sets together", withStore(async (store) => {
    // Minute 0: three label sets in one evaluation, one failing and one that could not be evaluated.
    await record(store, "api", [
      { ...result("api", T + 5_000, true, 10), labels: { region: "a" } },
      { ...result("api", T + 5_000, false, 20), labels: { region: "b" } },
      { ...result("api", T + 5_000, true, 1_000), firing: null, error: "timeout", labels: { region: "c" } },
    ]);
    // Minute 1: 100 results from 1 to 100 ms.
    for (let i = 1; i <= 100; i++) await record(store, "api", [result("api", T + MIN + i * 100, true, i)]);
    // Next hour: one result.
    await record(store, "api", [result("api", T + HOUR + 1, false, 7)]);

    const minutes = await store.rollups("api", "minute", T, T + 2 * HOUR);
    expect(minutes.map((b) => [b.start, b.count, b.failures, b.errors, b.max])).toEqual([
      [T, 3, 1, 1, 1_000],
      [T + MIN, 100, 0, 0, 100],
      [T + HOUR, 1, 1, 0, 7],
    ]);
    const close = (actual: number | null, expected: number) => {
      expect(actual).not.toBeNull();
      expect(Math.abs(actual! - expected) / expected).toBeLessThanOrEqual(PERCENTILE_RELATIVE_ERROR + 1e-9);
    };
    close(minutes[1]!.p50, 50);
    close(minutes[1]!.p95, 95);
    close(minutes[1]!.p99, 99);
    close(minutes[0]!.p50, 20);
    close(minutes[0]!.p99, 1_000);
    // The hour is the minutes merged, without the raw results.
    const hours = await store.rollups("api", "hour", T, T + 2 * HOUR);
    expect(hours.map((b) => [b.start, b.count, b.failures, b.errors, b.max])).toEqual([
      [T, 103, 1, 1, 1_000],
      [T + HOUR, 1, 1, 0, 7],
    ]);
    close(hours[0]!.p50, 50);
    close(hours[0]!.p95, 95);
    // [since, until) by bucket start; nothing for other monitors or empty minutes.
    expect((await store.rollups("api", "minute", T + MIN, T + HOUR)).map((b) => b.start)).toEqual([T + MIN]);
    expect(await store.rollups("none", "hour", T, T + DAY)).toEqual([]);
  }));

  it("counts a check error that onError: \"fail\" makes failing as a failure only, and one left unknown as an error only", withStore(async (store) => {
    // The default onError counts "cannot reach it" as down: one result, one failure, never also left out as an error.
    await record(store, "api", [{ ...result("api", T + 5_000, false, 30), firing: true, error: "connect ECONNREFUSED" }]);
    await record(store, "api", [{ ...result("api", T + 15_000, false, 30), firing: null, error: "timeout" }]);
    await record(store, "api", [result("api", T + 25_000, true, 10)]);
    for (const width of ["minute", "hour", "day"] as const) {
      const [bucket] = await store.rollups("api", width, T - DAY, T + DAY);
      expect([bucket!.count, bucket!.failures, bucket!.errors]).toEqual([3, 1, 1]);
    }
  }));

  it("keeps per-day rollups (UTC days) with the hours, for the 90-day bars", withStore(async (store) => {
    await record(store, "api", [result("api", T + 5_000, true, 10)]);
    await record(store, "api", [{ ...result("api", T + 5 * HOUR, true, 30), firing: null, error: "timeout" }]);
    await record(store, "api", [result("api", T + 23 * HOUR, false, 20)]);
    await record(store, "api", [result("api", T + DAY + 1, true, 5)]);
    const days = await store.rollups("api", "day", T - DAY, T + 2 * DAY);
    expect(days.map((b) => [b.start, b.count, b.failures, b.errors, b.max])).toEqual([
      [T, 3, 1, 1, 30],
      [T + DAY, 1, 0, 0, 5],
    ]);
    expect(days[0]!.p50).not.toBeNull();
    // Days go with the hours' retention (rollups), not the minutes'.
    while ((await store.prune(T + 5 * DAY, RETENTION, 10)) > 0);
    expect((await store.rollups("api", "day", 0, T + 2 * DAY)).map((b) => b.count)).toEqual([3, 1]);
    while ((await store.prune(T + 32 * DAY, RETENTION, 10)) > 0);
    expect(await store.rollups("api", "day", 0, T + 2 * DAY)).toEqual([]);
  }));

  it("records the diagnostics a trigger carries in the commit that fires the alert, cut to the budget", withStore(async (store) => {
    const key = alertKey("api", {});
    const read = await store.readAlerts("api");
    const t = evaluate(newAlert("api", {}, key, T), failing, T, rules);
    const long = `== DNS ==\n<script>alert(1)</script>\n${"x".repeat(DIAGNOSTICS_RECORD_MAX)}`;
    for (const i of t.intents) i.details = { ...i.details, diagnostics: long };
    // A conflicting commit records nothing.
    const stale = await store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: { [key]: 7 }, results: [], intents: t.intents, events: t.events, at: T });
    expect(stale.kind).toBe("conflict");
    expect(await store.alertDiagnostics(key)).toBeNull();
    await store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: { [key]: 0, ...versionsOf(read) }, results: [], intents: t.intents, events: t.events, at: T });
    const text = await store.alertDiagnostics(key);
    expect(text!.length).toBeLessThanOrEqual(DIAGNOSTICS_RECORD_MAX);
    expect(text!.startsWith("== DNS ==\n<script>alert(1)</script>\nxxx")).toBe(true);
    expect(text).toMatch(/truncated \d+ characters\]$/);
    // The emergency page's trigger goes straight to the outbox; its diagnostics are recorded with it, once.
    const emergency = { ...intent("wk-em", 1, "trigger", "em"), at: T + 5, details: { diagnostics: "host load 9.1" } };
    await store.enqueue(emergency);
    await store.enqueue({ ...emergency, details: { diagnostics: "again" } });
    expect(await store.alertDiagnostics("wk-em")).toBe("host load 9.1");
    // The newest firing's text is the alert's; none recorded for other alerts.
    await store.enqueue({ ...intent("wk-em", 2, "trigger", "em"), at: T + 9, details: { diagnostics: "second firing" } });
    expect(await store.alertDiagnostics("wk-em")).toBe("second firing");
    await store.enqueue(intent("wk-plain", 1));
    expect(await store.alertDiagnostics("wk-plain")).toBeNull();
    // Pruned with the alert's transitions (resolvedAlerts).
    while ((await store.prune(T + 2 * DAY, RETENTION, 3)) > 0);
    expect(await store.alertDiagnostics(key)).toBeNull();
    expect(await store.alertDiagnostics("wk-em")).toBeNull();
  }));

  it("a conflicting evaluation writes no results, rollups or transitions", withStore(async (store) => {
    await evaluateOnce(store, "api", failing, T);
    const key = alertKey("api", {});
    const stale = evaluate(newAlert("api", {}, key, T), failing, T + 1, rules);
    const outcome = await store.recordEvaluation({ monitorId: "api", alerts: [stale.alert], readVersions: { [key]: 0 }, results: [result("api", T + 1)], intents: stale.intents, events: stale.events, at: T + 1 });
    expect(outcome.kind).toBe("conflict");
    expect((await store.rollups("api", "minute", T, T + HOUR)).map((b) => b.count)).toEqual([1]);
    expect((await store.alertEvents(key)).map((e) => e.kind)).toEqual(["firing"]);
  }));

  it("records every alert transition with the commit that makes it, oldest first", withStore(async (store) => {
    const pendingRules: AlertRules = { ...rules, forMs: 60_000 };
    const key = alertKey("api", {});
    const step = async (fn: (alert: Alert) => Transition, at: number) => {
      const read = await store.readAlert(key);
      const t = fn(read?.alert ?? newAlert("api", {}, key, at));
      await store.commitAlerts({ alerts: [t.alert], readVersions: { [key]: read?.version ?? 0 }, intents: t.intents, events: t.events, at });
    };
    await step((a) => evaluate(a, failing, T, pendingRules), T);
    await step((a) => evaluate(a, ok, T + 1, pendingRules), T + 1);
    await step((a) => evaluate(a, failing, T + 2, pendingRules), T + 2);
    await step((a) => evaluate(a, failing, T + 2 + 60_000, pendingRules), T + 2 + 60_000);
    await step((a) => acknowledge(a, "Ada Lovelace", T + 100_000, pendingRules), T + 100_000);
    await step((a) => unacknowledge(a, T + 200_000), T + 200_000);
    await step((a) => resolve(a, { reason: "resolved in PagerDuty" }, T + 300_000, pendingRules, "Grace Hopper"), T + 300_000);
    const events = await store.alertEvents(key);
    expect(events.map((e) => [e.kind, e.at, e.by])).toEqual([
      ["pending", T, null],
      ["cleared", T + 1, null],
      ["pending", T + 2, null],
      ["firing", T + 2 + 60_000, null],
      ["acknowledged", T + 100_000, "Ada Lovelace"],
      ["unacknowledged", T + 200_000, null],
      ["resolved", T + 300_000, "Grace Hopper"],
    ]);
    expect(events[3]).toEqual({ dedupKey: key, monitorId: "api", at: T + 2 + 60_000, kind: "firing", by: null, summary: "down" });
    expect(await store.alertEvents("wk-none")).toEqual([]);
  }));

  it("records every delivery attempt with the vendor's answer; a deferral is not an attempt", withStore(async (store) => {
    await store.enqueue(intent("wk-a", 1));
    await store.dispatchIntent((await store.undispatched(1))[0]!, [
      { destination: "pd", status: "pending", due: T, reason: null },
      { destination: "slack", status: "suppressed", due: T, reason: "silence s1: deploy" },
    ], T);
    const head = (await store.dueHeads(T, 1))[0]!;
    await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "deferred", at: T + 10, reason: "rate limit for this destination" }, now: T });
    await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "retry", at: T + 1000, reason: "HTTP 503", status: 503, answer: "{\"status\":\"unavailable\"}" }, now: T + 10 });
    await store.recordOutcome({ id: head.id, attemptsBefore: 1, outcome: { kind: "sent", status: 202, answer: "{\"status\":\"success\"}", ref: null, at: T + 1001 }, now: T + 1000 });
    await store.enqueue(intent("wk-a", 2, "resolve"));
    await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "pd", status: "pending", due: T + 2000, reason: null }, { destination: "mail", status: "pending", due: T + 2000, reason: null }], T + 2000);
    const [pd, mail] = (await store.dueHeads(T + 2000, 10)).sort((a, b) => a.destination.localeCompare(b.destination)).reverse();
    await store.recordOutcome({ id: pd!.id, attemptsBefore: 0, outcome: { kind: "failed", reason: "HTTP 400: not retryable", status: 400, answer: "bad key" }, now: T + 2000 });
    await store.markSkipped(mail!.id, 0, "no trigger was sent", T + 2001);
    const attempts = await store.deliveryAttempts("wk-a");
    expect(attempts.map((a) => [a.intentId, a.type, a.destination, a.at, a.attempt, a.outcome, a.vendorStatus, a.detail])).toEqual([
      ["wk-a:1", "trigger", "slack", T, 0, "suppressed", null, "silence s1: deploy"],
      ["wk-a:1", "trigger", "pd", T + 10, 1, "retrying", 503, 'HTTP 503: {"status":"unavailable"}'],
      ["wk-a:1", "trigger", "pd", T + 1000, 2, "sent", 202, '{"status":"success"}'],
      ["wk-a:2", "resolve", "pd", T + 2000, 1, "failed", 400, "HTTP 400: not retryable: bad key"],
      ["wk-a:2", "resolve", "mail", T + 2001, 0, "skipped", null, "no trigger was sent"],
    ]);
    expect(attempts.every((a) => a.dedupKey === "wk-a")).toBe(true);
    expect(await store.deliveryAttempts("wk-none")).toEqual([]);
  }));

  it("shortens a vendor's long answer in the attempt it records", withStore(async (store) => {
    await store.enqueue(intent("wk-a", 1));
    await store.dispatchIntent((await store.undispatched(1))[0]!, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
    const head = (await store.dueHeads(T, 1))[0]!;
    await store.recordOutcome({ id: head.id, attemptsBefore: 0, outcome: { kind: "retry", at: T + 1, reason: "HTTP 500", status: 500, answer: "x".repeat(5000) }, now: T });
    const [a] = await store.deliveryAttempts("wk-a");
    expect(a!.detail!.length).toBeLessThanOrEqual(ATTEMPT_DETAIL_MAX);
    expect(a!.detail!.startsWith("HTTP 500: xxx")).toBe(true);
  }));

  it("prunes rollups, transitions and attempts past their retentions", withStore(async (store) => {
    await record(store, "api", [result("api", T, false, 5)]);
    await evaluateOnce(store, "flap", failing, T);
    await evaluateOnce(store, "flap", ok, T + 1);
    await store.enqueue(intent("wk-a", 1));
    await store.dispatchIntent((await store.undispatched(10)).find((s) => s.intent.id === "wk-a:1")!, [{ destination: "slack", status: "suppressed", due: T, reason: "silenced" }], T);
    const prune = async (now: number) => {
      while ((await store.prune(now, RETENTION, 3)) > 0);
    };
    // Past notifications and resolvedAlerts (1 day) and minuteRollups (2 days), within rollups (30 days).
    await prune(T + 3 * DAY);
    expect(await store.rollups("api", "minute", 0, T + DAY)).toEqual([]);
    expect((await store.rollups("api", "hour", 0, T + DAY)).map((b) => b.count)).toEqual([1]);
    expect(await store.alertEvents(alertKey("flap", {}))).toEqual([]);
    expect(await store.deliveryAttempts("wk-a")).toEqual([]);
    await prune(T + 31 * DAY);
    expect(await store.rollups("api", "hour", 0, T + DAY)).toEqual([]);
  }));
}
