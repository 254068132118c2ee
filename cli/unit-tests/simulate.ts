import { existsSync } from "node:fs";
import { CodeHost } from "../../runtime/code-host/code-host.js";
import { codeOf } from "../../runtime/artifact.js";
import { hasFunctions, hostedCode } from "../../runtime/code-host/hosted-code.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { Registry } from "prom-client";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MonitorBundle } from "../../sdk/result.js";
import type { Alert } from "../../runtime/alerts/state.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { monitorUnit, runTick, type MonitorUnit, type TickDeps } from "../../runtime/evaluate/tick.js";
import { StoreAlertControl } from "../../runtime/inbound/alert-control.js";
import { createMetrics, type RuntimeMetrics } from "../../runtime/metrics.js";
import { deliveryParts } from "../../runtime/notify/delivery-parts.js";
import type { Destinations } from "../../runtime/notify/destinations.js";
import { Dispatcher } from "../../runtime/notify/dispatcher.js";
import { buildDispatchPipeline, buildSendPipeline } from "../../runtime/notify/pipeline-builder.js";
import { RateLimiter } from "../../runtime/notify/rate-limiter.js";
import { KeyFile } from "../../runtime/notify/routing-keys.js";
import { sendDelivery } from "../../runtime/notify/send-delivery.js";
import { DEFAULT_DELIVERY_SETTINGS } from "../../runtime/notify/settings.js";
import { nextFunction } from "../../runtime/scheduler/scheduler.js";
import { SqliteStore } from "../../runtime/store/index.js";
import { EXIT, UserError } from "../errors.js";
import { RecordingDestinations, type RecordedNotification } from "./recording-destinations.js";
import { SimulatedClock } from "./sim-clock.js";
import { simulatedCheckRunner } from "./simulated-check.js";
import type { ParsedTest, StepAction } from "./test-shape.js";

/** The alert of one label set as the test saw it at an expectation's time. */
export interface AlertSnapshot {
  labels: Record<string, string>;
  state: Alert["state"];
  acknowledged: boolean;
}

/** Metrics the simulated ticks count into: one set per run, never scraped. */
export function simulationMetrics(): RuntimeMetrics {
  return createMetrics({ alertStates: () => ({}), outboxDepth: () => 0, declaredSecrets: [], missingSecrets: () => [] });
}

export interface SimulationResult {
  /** Per expectation index: the monitor's alerts at that time. */
  snapshots: Map<number, AlertSnapshot[]>;
  /** Every notification that reached a destination, in order. */
  sent: RecordedNotification[];
  /** Evaluation times of the monitor under test. */
  ticks: number[];
}

/** More evaluations than this in one test is a mistake (two weeks of a one-minute schedule), not a test. */
export const MAX_EVALUATIONS = 20_000;

/** A test too long to simulate; reported at the test's line. */
export class SimulationTooLong extends Error {}

/** Result kinds hold from their step to the next; the event kinds happen once, at their time. */
const EVENT_KINDS = new Set(["heartbeat", "webhook", "manual"]);

/**
 * Runs one test: the monitors' real schedules (without the runtime's spread offset) on a simulated
 * clock, each tick through runTick (check, judgement, state machine, store commit), the outbox
 * through the dispatch stages (route, silence, inhibit, group) and due deliveries through the send
 * stages (dedup, retry, record) to recording destinations. A temporary SQLite store holds it all.
 */
export async function simulate(test: ParsedTest, manifest: Manifest, bundle: MonitorBundle, metrics: RuntimeMetrics, codeHost: CodeHost | null = null): Promise<SimulationResult> {
  // A RAM-backed folder where there is one: the store's commits are the simulation's main cost.
  const stateDir = await mkdtemp(path.join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "wk-unit-"));
  const clock = new SimulatedClock(test.start);
  let store: SqliteStore;
  try {
    store = SqliteStore.open(stateDir, test.start);
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    // An install with --ignore-scripts leaves better-sqlite3 without its native module.
    if (/bindings file|better_sqlite3\.node/.test(String((error as Error)?.message))) {
      throw new UserError("wk test --unit needs better-sqlite3's native module, which is not built here", EXIT.findings, "run `npm rebuild better-sqlite3` (an install with --ignore-scripts skips it)");
    }
    throw error;
  }
  const logger = pino({ level: "silent" });
  const sent: RecordedNotification[] = [];
  const shutdown = new AbortController();
  try {
    const placeholder = (name: string) => (manifest.secrets.includes(name) ? `PLACEHOLDER_${name}` : undefined);
    const secrets = { get: placeholder, missing: () => [] };
    const placeholders = () => Object.fromEntries(manifest.secrets.map((name) => [name, `PLACEHOLDER_${name}`]));
    const { parts } = deliveryParts({ manifest, store, secrets, logger, clock: () => clock.now(), registry: new Registry() }, {}, new RateLimiter());
    parts.destinations = new RecordingDestinations(
      manifest,
      { ...DEFAULT_DELIVERY_SETTINGS, routingKeys: new KeyFile(path.join(stateDir, "routing-keys.json")), serviceIds: new KeyFile(path.join(stateDir, "service-ids.json")) },
      sent,
    );
    const dispatcher = new Dispatcher(store, store, buildDispatchPipeline(parts), logger, () => clock.now());
    const sendPipeline = buildSendPipeline(parts);
    const control = new StoreAlertControl(store, manifest);

    const current = new Map<string, StepAction>();
    const deps: TickDeps = {
      store,
      runCheck: simulatedCheckRunner((id) => current.get(id) ?? null),
      clock,
      logger,
      metrics,
      context: { startedAt: new Date(test.start), signal: shutdown.signal, secret: placeholder, inbound: store },
    };

    const monitors: MonitorSpec[] = [test.monitor, ...test.others.filter((o) => o.id !== test.monitor.id)].sort((a, b) => a.id.localeCompare(b.id));
    const schedules = monitors.map((m) => {
      // The project's functions run in a code worker, as in the runtime: one that loops is stopped and named, and `wk test` ends.
      const local = codeOf(bundle, m.id);
      const hosted = codeHost && local && hasFunctions(local) ? hostedCode(codeHost, m, local, placeholders) : null;
      const unit: MonitorUnit = hosted ? monitorUnit(m, hosted.code, null, hosted.prepare) : monitorUnit(m, local, null);
      const next = nextFunction(m.id, m.schedule, 0);
      return { unit, next, at: next(test.start - 1) };
    });
    const steps = [...test.steps];
    const expectations = [...test.expect].sort((a, b) => a.at - b.at || a.index - b.index);
    const end = Math.max(test.start, ...steps.map((s) => s.at), ...expectations.map((e) => e.at));
    const snapshots = new Map<number, AlertSnapshot[]>();
    const ticks: number[] = [];
    // Counted before anything runs: a test that would take minutes is refused at once.
    let evaluations = 0;
    for (const s of schedules) {
      for (let at = s.at; at !== null && at <= end && evaluations <= MAX_EVALUATIONS; at = s.next(at)) evaluations++;
    }
    if (evaluations > MAX_EVALUATIONS) {
      throw new SimulationTooLong(`the test needs more than ${MAX_EVALUATIONS.toLocaleString("en")} evaluations (it runs until ${new Date(end).toISOString()}); shorten it or test a slower schedule`);
    }

    for (;;) {
      const due = await store.nextDueAt();
      const t = Math.min(
        ...schedules.map((s) => s.at ?? Infinity),
        steps[0]?.at ?? Infinity,
        expectations[0]?.at ?? Infinity,
        due !== null && due > clock.now() ? due : Infinity,
      );
      if (!Number.isFinite(t) || t > end) break;
      clock.set(t);
      while (steps[0] && steps[0].at === t) await applyStep(steps.shift()!, current, store, control, t);
      for (const s of schedules) {
        if (s.at !== t) continue;
        s.at = s.next(t);
        // A result kind is not evaluated before its first result: nothing was checked yet.
        if (!EVENT_KINDS.has(s.unit.monitor.check.kind) && !current.has(s.unit.monitor.id)) continue;
        await runTick(s.unit, t, deps);
        if (s.unit.monitor.id === test.monitor.id) ticks.push(t);
      }
      while ((await dispatcher.dispatchOnce(100)) > 0);
      await sendDue(store, parts.destinations, sendPipeline, logger, clock);
      while (expectations[0] && expectations[0].at === t) {
        const e = expectations.shift()!;
        snapshots.set(e.index, (await store.readAlerts(test.monitor.id)).map(({ alert }) => ({ labels: alert.labels, state: alert.state, acknowledged: alert.acknowledgedAt !== null })));
      }
    }
    return { snapshots, sent, ticks };
  } finally {
    shutdown.abort();
    await store.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function applyStep(step: ParsedTest["steps"][number], current: Map<string, StepAction>, store: SqliteStore, control: StoreAlertControl, t: number): Promise<void> {
  const a = step.action;
  switch (a.kind) {
    case "heartbeat":
      if (a.received) store.recordHeartbeat(step.monitorId, t);
      return;
    case "uptime":
      store.recordUptimeReport(step.monitorId, { up: a.up, message: a.message, at: t });
      return;
    case "emergency":
      store.recordEmergency(step.monitorId, t, a.message);
      return;
    case "emergencyResolved":
      store.recordEmergencyResolved(step.monitorId, t);
      return;
    case "acknowledge": {
      const key = alertKey(step.monitorId, a.labels ?? {});
      const read = store.readAlert(key);
      if (read) await control.acknowledge(key, a.by, t, { openedAt: read.alert.firedAt ?? t });
      return;
    }
    default:
      current.set(step.monitorId, a);
  }
}

/** Sends every delivery due now, one head per (dedup key, destination) at a time, as the worker does. */
async function sendDue(
  store: SqliteStore,
  destinations: Destinations,
  pipeline: ReturnType<typeof buildSendPipeline>,
  logger: pino.Logger,
  clock: SimulatedClock,
): Promise<void> {
  for (;;) {
    const heads = await store.dueHeads(clock.now(), 500);
    if (heads.length === 0) return;
    const won = new Set(await store.claim(heads.map((h) => h.id), clock.now(), 60_000));
    let progressed = false;
    for (const row of heads) {
      if (!won.has(row.id)) continue;
      const outcome = await sendDelivery(row, { store, destinations, pipeline, logger, clock: () => clock.now() });
      if (outcome.kind === "sent" || outcome.kind === "skipped" || outcome.kind === "failed") progressed = true;
    }
    if (!progressed) return;
  }
}
