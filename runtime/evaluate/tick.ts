import type { Logger } from "pino";
import type { Counter, Histogram } from "prom-client";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import { logAlertEvents, type AlertEvent } from "../alerts/alert-event.js";
import { alertKey } from "../alerts/alert-key.js";
import { versionsOf } from "../alerts/alert-store.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { newAlert, rulesOf, type Alert, type AlertRules } from "../alerts/state.js";
import { aheadOfClock, evaluate, rebased } from "../alerts/transition.js";
import type { CheckContext, CheckOutcome } from "../checks/types.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { Clock } from "../scheduler/clock.js";
import type { TickClaim } from "../scheduler/tick-claim.js";
import type { CommitOutcome } from "../alerts/alert-store.js";
import type { Awaitable } from "../awaitable.js";
import type { EvaluationStore, ResultRow } from "./evaluation-store.js";
import { labelId, observe, vanishedResults, type LabeledObservation } from "./observe.js";
import { mergeLocations } from "./quorum.js";
import { runWithDeadline, type CheckRunner } from "./run-check.js";
import { truncate } from "../text/truncate.js";

/** What a monitor needs to be evaluated on a tick. */
export interface MonitorUnit {
  monitor: MonitorSpec;
  code: MonitorCode | undefined;
  rules: AlertRules;
  /** Set when the bundle lacks code the manifest promises: every tick fails with this reason. */
  broken: string | null;
  /**
   * Set when the monitor's code runs in the code worker: calls its condition and summary for a
   * tick's results and answers with code that returns those answers (runtime/code-host).
   */
  prepare?: Prepare;
}

/** Answers the condition for `results` and the summary for them and for `vanished` (label sets no longer returned). */
export type Prepare = (results: CheckResult[], vanished: CheckResult[]) => Promise<MonitorCode | undefined>;

export function monitorUnit(monitor: MonitorSpec, code: MonitorCode | undefined, broken: string | null, prepare?: Prepare): MonitorUnit {
  return prepare ? { monitor, code, rules: rulesOf(monitor), broken, prepare } : { monitor, code, rules: rulesOf(monitor), broken };
}

/** Evaluations re-run after a conflicting write before the tick gives up (another replica keeps writing). */
const CONFLICT_RETRIES = 5;

/** First wait before an outcome that failed to write is written again; doubled up to the cap. */
const REWRITE_FIRST_MS = 100;
const REWRITE_MAX_MS = 1_000;

export interface TickDeps {
  store: EvaluationStore;
  runCheck: CheckRunner;
  clock: Clock;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** Shared by every check; the runtime aborts it at shutdown. */
  context: Omit<CheckContext, "now" | "monitorId" | "code">;
  /** Runs the monitor's diagnostics when its alert fires; the text rides on the trigger intent. */
  diagnose?: (monitor: MonitorSpec, now: number) => Promise<string>;
  /**
   * This process alone evaluates the monitors (the embedded runtime, by the state folder's lock):
   * an alert last evaluated at a tick ahead of the clock was evaluated before the clock stepped
   * back, not by another writer at a newer tick, and is rebased to the clock (alerts/transition.ts).
   */
  soleEvaluator?: boolean;
}

/**
 * One tick of one monitor: run the check, judge each label set, advance the alerts and commit
 * alerts, results and intents in one transaction. Returns the intents written.
 */
export async function runTick(unit: MonitorUnit, scheduledAt: number, d: TickDeps, claim?: TickClaim): Promise<NotificationIntent[]> {
  const outcome = await checkOnce(unit, scheduledAt, d);
  if (cancelledByShutdown(outcome, d)) {
    d.logger.info({ monitorId: unit.monitor.id, scheduledAt }, "check cancelled because the runtime is stopping; this tick is not evaluated");
    return [];
  }
  return evaluateJudged(unit, scheduledAt, d, (active) => judge(unit, outcome, active), outcome, claim);
}

/**
 * A check the runtime cut off itself as it stops says nothing about the target: judged, it would
 * be a check error, and with `onError: "fail"` (or a flaky target's next tick) a page for a
 * healthy service at every rollout. Such a tick is dropped, as a tick missed while down is.
 */
function cancelledByShutdown(outcome: CheckOutcome, d: TickDeps): boolean {
  return outcome.kind === "error" && outcome.reason === "aborted" && d.context.signal.aborted;
}

/** Runs the monitor's check for the tick (with its deadline) and counts it; evaluation is separate. */
export async function checkOnce(unit: MonitorUnit, scheduledAt: number, d: TickDeps): Promise<CheckOutcome> {
  const { monitor } = unit;
  const kind = monitor.check.kind;
  const started = performance.now();
  const outcome: CheckOutcome = unit.broken
    ? { kind: "error", error: unit.broken, durationMs: 0, reason: "config" }
    : await runWithDeadline(d.runCheck, monitor, checkContext(d.context, scheduledAt, monitor.id, unit.code), d.clock);
  // An answer with no series has no result to carry its time; the row that records it does.
  if (outcome.kind === "results" && outcome.results.length === 0 && outcome.durationMs === undefined) outcome.durationMs = Math.round((performance.now() - started) * 10) / 10;
  recordCheckMetrics(d.metrics, kind, outcome);
  if (outcome.kind === "error") d.logger.warn({ monitorId: monitor.id, kind, error: outcome.error }, "check failed to produce a result");
  return outcome;
}

/**
 * The context one check runs with: the runtime's shared fields and this tick's own, copied field
 * by field into one object literal. It was `{ ...d.context, now, monitorId, code }`: V8 promoted
 * the object that spread made to the old generation on every check (0.65 KB a check, a quarter of
 * all the runtime promoted, although a check ends within milliseconds), and a literal of the same
 * fields it does not (bench/results/runtime.md). The type lists every field of CheckContext, so
 * one added there and not copied here fails to compile.
 */
function checkContext(shared: TickDeps["context"], scheduledAt: number, monitorId: string, code: MonitorCode | undefined): CheckContext {
  const ctx: EveryField<CheckContext> = {
    now: new Date(scheduledAt),
    startedAt: shared.startedAt,
    monitorId,
    signal: shared.signal,
    signalAbortsBy: shared.signalAbortsBy,
    stop: shared.stop,
    secret: shared.secret,
    secretValues: shared.secretValues,
    code,
    inbound: shared.inbound,
    dispatcher: shared.dispatcher,
    emergencyHoldMs: shared.emergencyHoldMs,
    stopwatch: shared.stopwatch,
    peerCertificate: shared.peerCertificate,
    dnsQuery: shared.dnsQuery,
    tcpConnect: shared.tcpConnect,
  };
  return ctx;
}

/** Every key of T, the optional ones too (their value may be undefined). */
type EveryField<T> = { [K in keyof Required<T>]: T[K] };

/**
 * Evaluates one tick of a monitor checked from several locations: a label set fails when at least
 * `quorum` locations saw it failing (quorum.ts). Locations that did not report count as not failing.
 */
export async function runLocatedTick(unit: MonitorUnit, scheduledAt: number, d: TickDeps, outcomes: Record<string, CheckOutcome>, claim?: TickClaim): Promise<NotificationIntent[]> {
  const quorum = unit.monitor.quorum ?? (unit.monitor.locations?.length ?? 1);
  // A location whose replica stopped mid-check reported nothing about the target; when none did, the tick is not evaluated.
  const reported = Object.entries(outcomes).filter(([, o]) => !(o.kind === "error" && o.reason === "aborted"));
  if (reported.length === 0 && Object.keys(outcomes).length > 0) return [];
  const judgeAll = async (active: Array<Record<string, string>>) => {
    const judged = await Promise.all(reported.map(async ([location, o]) => [location, await judge(unit, o, active)] as const));
    return mergeLocations(unit.monitor, Object.fromEntries(judged), quorum);
  };
  // Every location answered, none with a series: the tick is recorded as the query's clear answer.
  const answers = reported.map(([, o]) => o);
  const noSeries = answers.length > 0 && answers.every((o) => o.kind === "results" && o.results.length === 0) ? Math.max(...answers.map((o) => o.durationMs ?? 0)) : null;
  return evaluateJudged(unit, scheduledAt, d, judgeAll, null, claim, noSeries);
}

// A monitor that cannot run as compiled fails whatever its onError says: nobody would know otherwise.
async function judge(unit: MonitorUnit, outcome: CheckOutcome, active: Array<Record<string, string>>): Promise<LabeledObservation[]> {
  const code =
    unit.prepare && outcome.kind === "results" && !unit.broken
      ? await unit.prepare(outcome.results, vanishedResults(new Set(outcome.results.map((r) => labelId(r.labels))), active))
      : unit.code;
  return observe(outcome, unit.broken ? { ...unit.monitor, onError: "fail" } : unit.monitor, code, active);
}

async function evaluateJudged(
  unit: MonitorUnit,
  scheduledAt: number,
  d: TickDeps,
  judgeAgainst: (active: Array<Record<string, string>>) => Promise<LabeledObservation[]>,
  outcome: CheckOutcome | null,
  claim?: TickClaim,
  noSeries: number | null = outcome?.kind === "results" && outcome.results.length === 0 ? outcome.durationMs ?? 0 : null,
): Promise<NotificationIntent[]> {
  const { monitor } = unit;
  const kind = monitor.check.kind;
  // Set when a write failed and was written again: it may have landed all the same.
  let uncertain: { changed: Alert[]; intents: NotificationIntent[]; events: AlertEvent[] } | null = null;
  // The check ran once; only the evaluation repeats when another writer moved an alert meanwhile.
  for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
    const read = await d.store.readAlerts(monitor.id);
    const clockNow = d.soleEvaluator ? d.clock.now() : 0;
    const existing = read.map((r) => (d.soleEvaluator && aheadOfClock(r.alert.evaluatedAt, clockNow) ? rebased(r.alert, scheduledAt) : r.alert));
    if (uncertain && landed(uncertain.changed, existing, scheduledAt)) {
      // The write that seemed to fail did commit: evaluating the tick again would count it twice.
      for (const i of uncertain.intents) d.metrics.alertTransitions.inc({ type: i.type });
      logAlertEvents(d.logger, uncertain.events);
      return uncertain.intents;
    }
    uncertain = null;
    const active = existing.filter((a) => a.state !== "inactive").map((a) => a.labels);
    const judged = await judgeAgainst(active);
    if (attempt === 0) reportFailure(judged, outcome, monitor.id, kind, d);
    const { changed, intents, events, results } = advance(unit, judged, existing, scheduledAt, noSeries);
    if (d.diagnose && monitor.diagnostics.length > 0 && intents.some((i) => i.type === "trigger")) {
      // Diagnostics describe the moment the alert fires, so they run before the trigger is written.
      const text = await d.diagnose(monitor, scheduledAt).catch((error: unknown) => `diagnostics failed: ${String(error)}`);
      for (const i of intents) if (i.type === "trigger" && text) i.details = { ...i.details, diagnostics: text };
    }
    let committed: boolean;
    try {
      // An alert first written here must still be absent (version 0): two replicas creating it never both win.
      const readVersions = changed.length === 0 && read.length === 0 ? {} : { ...Object.fromEntries(changed.map((a) => [a.dedupKey, 0])), ...versionsOf(read) };
      const commit = { monitorId: monitor.id, alerts: changed, readVersions, results, intents, events, at: d.clock.now() };
      const written = await writeWhileClaimed(d, monitor.id, scheduledAt, claim, () => d.store.recordEvaluation(commit));
      if (written.rewritten) uncertain = { changed, intents, events };
      const outcome = written.outcome;
      committed = outcome.kind === "committed";
      if (!committed) d.logger.debug({ monitorId: monitor.id, attempt }, "alert changed under the evaluation; evaluating again");
    } catch (error) {
      d.metrics.evaluationErrors.inc({ stage: "store" });
      d.logger.error({ monitorId: monitor.id, err: error }, "could not record the evaluation; the alert state is unchanged");
      return [];
    }
    if (committed) {
      for (const i of intents) d.metrics.alertTransitions.inc({ type: i.type });
      logAlertEvents(d.logger, events);
      return intents;
    }
  }
  d.metrics.evaluationErrors.inc({ stage: "conflict" });
  d.logger.error({ monitorId: monitor.id }, "the alert kept changing under the evaluation; this tick is left out");
  return [];
}

/**
 * Writes an evaluation; when the write fails (Redis unreachable for a moment, a failover) and a
 * claim on the tick is held, writes it again with backoff for as long as the claim lasts: the
 * outcome is not lost, the alert still advances and a firing still resolves. Without a claim, or
 * once the claim would lapse (another replica may take the tick over), the error is thrown.
 */
async function writeWhileClaimed(
  d: TickDeps,
  monitorId: string,
  scheduledAt: number,
  claim: TickClaim | undefined,
  write: () => Awaitable<CommitOutcome>,
): Promise<{ outcome: CommitOutcome; rewritten: boolean }> {
  let waitMs = REWRITE_FIRST_MS;
  for (let rewrites = 0; ; rewrites++) {
    try {
      return { outcome: await write(), rewritten: rewrites > 0 };
    } catch (error) {
      if (!claim || d.clock.now() + waitMs >= claim.heldUntil()) throw error;
      if (rewrites === 0) d.logger.warn({ monitorId, scheduledAt, err: error }, "could not record the evaluation; writing it again while this replica holds the tick");
      await new Promise<void>((resolve) => d.clock.setTimer(resolve, waitMs));
      waitMs = Math.min(REWRITE_MAX_MS, waitMs * 2);
    }
  }
}

/** Whether every alert of a write that seemed to fail is stored as written (same tick, same sequence and state). */
function landed(written: Alert[], stored: Alert[], scheduledAt: number): boolean {
  if (written.length === 0) return false;
  const byKey = new Map(stored.map((a) => [a.dedupKey, a]));
  return written.every((w) => {
    const s = byKey.get(w.dedupKey);
    return s !== undefined && s.evaluatedAt === scheduledAt && s.sequence === w.sequence && s.state === w.state;
  });
}

function reportFailure(judged: LabeledObservation[], outcome: CheckOutcome | null, monitorId: string, kind: string, d: TickDeps): void {
  const failure = judged.find((o) => o.error !== undefined)?.error;
  if (!failure) return;
  // Counted whatever onError says: an "unknown" monitor changes no alert, so this is its only trace.
  d.metrics.checkErrors.inc({ monitor: monitorId, reason: failure.reason });
  if (outcome?.kind !== "error") d.logger.warn({ monitorId, kind, error: failure.message }, "check results could not be evaluated");
}

/**
 * Runs the state machine over each judged label set: the alerts to write, the intents, the
 * transitions, the result rows. `noSeries` is the check's time when it answered with no series.
 */
function advance(unit: MonitorUnit, judged: LabeledObservation[], existing: Alert[], scheduledAt: number, noSeries: number | null) {
  const { monitor } = unit;
  // A monitor without alert rows (every healthy one) builds no lookup tables.
  const byKey = existing.length === 0 ? NO_ALERTS : new Map(existing.map((a) => [a.dedupKey, a]));
  // Open alerts carried over from a monitor's previous id keep the dedup key they were opened
  // with (evaluate/rollout.ts), so they are found by label set rather than by a fresh key.
  const carried =
    existing.length === 0
      ? NO_ALERTS
      : new Map(existing.filter((a) => a.state !== "inactive" && a.dedupKey !== alertKey(monitor.id, a.labels)).map((a) => [labelSetOf(a.labels), a]));
  const changed: Alert[] = [];
  const intents: NotificationIntent[] = [];
  const events: AlertEvent[] = [];
  const results: ResultRow[] = [];
  for (const o of judged) {
    const key = alertKey(monitor.id, o.labels);
    const prior = (carried.size > 0 ? carried.get(labelSetOf(o.labels)) : undefined) ?? byKey.get(key);
    const before = prior ?? newAlert(monitor.id, o.labels, key, scheduledAt);
    const t = evaluate(before, o.observation, scheduledAt, unit.rules);
    if (worthPersisting(prior, t.alert)) changed.push(t.alert);
    intents.push(...t.intents);
    events.push(...t.events);
    results.push({
      monitorId: monitor.id,
      at: scheduledAt,
      ok: o.result.ok,
      firing: o.firing,
      value: o.result.value,
      message: stored(o.result.message),
      labels: o.labels,
      durationMs: o.result.durationMs,
      error: o.error ? stored(o.error.message) : null,
    });
  }
  if (results.length === 0 && noSeries !== null) {
    // A query that returned no series (a rule written as Prometheus writes them, `errors > 0.1`)
    // answered that nothing breaks it. Without a row for it the monitor read "No data yet" or
    // erroring from its last error, and its history held only the ticks that failed: 0 % uptime.
    results.push({ monitorId: monitor.id, at: scheduledAt, ok: true, firing: false, value: null, message: "no series returned", labels: {}, durationMs: noSeries, error: null });
  }
  return { changed, intents, events, results };
}

const NO_ALERTS: ReadonlyMap<string, Alert> = new Map();

/**
 * The longest result message (and error) kept: results are stored for every tick, and a script or
 * a target can say megabytes (a script returning a whole response as its message). Pages carry the
 * summary, which has its own limit.
 */
export const RESULT_MESSAGE_MAX = 4096;

function stored(text: string): string {
  return text.length > RESULT_MESSAGE_MAX ? truncate(text, RESULT_MESSAGE_MAX) : text;
}

function labelSetOf(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

/** Healthy label sets that never failed need no row; every other change is written. */
function worthPersisting(before: Alert | undefined, after: Alert): boolean {
  const quiet = (a: Alert) => a.state === "inactive" && a.consecutiveFailures === 0;
  if (quiet(after) && (before === undefined || quiet(before))) return false;
  return before !== after;
}

function recordCheckMetrics(metrics: RuntimeMetrics, kind: string, outcome: CheckOutcome): void {
  const series = checkSeriesOf(metrics, kind);
  if (outcome.kind === "error") {
    series.error.inc();
    series.duration.observe(outcome.durationMs / 1000);
    return;
  }
  const failed = outcome.results.some((r) => !r.ok);
  (failed ? series.failed : series.ok).inc();
  const longest = outcome.results.reduce((m, r) => Math.max(m, r.durationMs), 0);
  series.duration.observe(longest / 1000);
}

interface CheckSeries {
  ok: Counter.Internal;
  failed: Counter.Internal;
  error: Counter.Internal;
  duration: Histogram.Internal<"kind">;
}

/**
 * The check metrics' children of one check kind, looked up once: prom-client hashes a label object
 * on every inc() and observe(), a few per cent of a check's CPU. Same series, same values.
 */
const checkSeries = new WeakMap<RuntimeMetrics, Map<string, CheckSeries>>();

function checkSeriesOf(metrics: RuntimeMetrics, kind: string): CheckSeries {
  let byKind = checkSeries.get(metrics);
  if (!byKind) {
    byKind = new Map();
    checkSeries.set(metrics, byKind);
  }
  let series = byKind.get(kind);
  if (!series) {
    series = {
      ok: metrics.checksTotal.labels({ kind, result: "ok" }),
      failed: metrics.checksTotal.labels({ kind, result: "failed" }),
      error: metrics.checksTotal.labels({ kind, result: "error" }),
      duration: metrics.checkDuration.labels({ kind }),
    };
    byKind.set(kind, series);
  }
  return series;
}
