import type { Server } from "node:http";
import type { Logger } from "pino";
import { Agent } from "./undici.js";
import { runtimeSettingsOf, type Manifest } from "../sdk/manifest/schema.js";
import type { CheckResult, MonitorBundle } from "../sdk/result.js";
import { CodeHost } from "./code-host/code-host.js";
import { hasFunctions, hostedCode } from "./code-host/hosted-code.js";
import { logAlertEvents } from "./alerts/alert-event.js";
import { createLogChannel } from "./alerts/log-channel.js";
import { ArtifactError, codeOf, findMissingExports, type MissingExport } from "./artifact.js";
import { runDiagnostics } from "./diagnostics/index.js";
import { erroringMonitors } from "./evaluate/erroring.js";
import { COMMIT_WINDOW_MS, GroupCommit } from "./evaluate/group-commit.js";
import { keepWebAssemblyAtBaseline } from "./wasm-baseline.js";
import { allocateYoungObjectsYoung } from "./pretenuring.js";
import { checkOnce, monitorUnit, runLocatedTick, runTick, type MonitorUnit, type TickDeps } from "./evaluate/tick.js";
import { withScrubbedSummary } from "./evaluate/summary.js";
import { selfBounded, type CheckRunner } from "./evaluate/run-check.js";
import { API_TOKEN_SECRET } from "./http/api-auth.js";
import { Router } from "./http/router.js";
import { createMetrics, type RuntimeMetrics } from "./metrics.js";
import type { DeliveryFactory, DeliveryService, SecretSource } from "./notify/contract.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { systemClock, type Clock } from "./scheduler/clock.js";
import type { TickClaim } from "./scheduler/tick-claim.js";
import type { TickScheduler, TickSchedulerFactory } from "./scheduler/tick-scheduler.js";
import { SignedOutSessions } from "./http/signed-out.js";
import { TokenGuesses } from "./http/token-guesses.js";
import { closeServer, createHttpServer, listen } from "./server/http-server.js";
import { registerRuntimeRoutes } from "./server/routes.js";
import { durationMs } from "../sdk/duration.js";
import { StoreAlertControl } from "./inbound/alert-control.js";
import type { Diagnose } from "./inbound/emergency-route.js";
import { replayWindowMs } from "./inbound/event-age.js";
import { DEFAULT_INBOUND_SETTINGS, registerInboundRoutes, type InboundSettings } from "./inbound/routes.js";
import { rollOut } from "./evaluate/rollout.js";
import { rerouteOpenAlerts } from "./notify/reroute.js";
import type { Store } from "./store/port.js";
import { Pruner } from "./store/pruner.js";
import { retentionOf } from "./store/retention.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
import { registerViewRoutes } from "./views/routes.js";
import { DIAGNOSTICS_RECORD_MAX } from "./store/diagnostics-record.js";
import { MIN_SECRET_LENGTH, redact, redactThenShorten } from "./text/redact.js";

export interface RuntimeOptions {
  manifest: Manifest;
  /**
   * The project's functions by monitor id, for a runtime that runs them in its own thread (tests
   * handing functions in directly). `wk run` passes none: with `bundleUrl` alone, only the code
   * worker imports the bundle (runtime/code-host), and the runtime's thread never runs its code.
   */
  bundle?: MonitorBundle;
  /**
   * Where the bundle is: the project's functions run in a worker thread that imports it, never on
   * the runtime's thread. With `bundle` too, the worker runs them and `bundle` says what is exported.
   */
  bundleUrl?: string;
  /** The code worker's stall limit (default 2 s); tests shorten it. */
  codeStallMs?: number;
  /** State folder (SQLite); `.watchkeeper` by default in `wk run`. */
  stateDir: string;
  /** Opens the store; the embedded SQLite store in `stateDir` by default (scale-out passes Redis). */
  openStore?: (now: number) => Promise<Store>;
  /** Decides when ticks run; the embedded Scheduler by default (scale-out passes BullMQ). */
  scheduling?: TickSchedulerFactory;
  /** Inbound tuning (the command reads it from the environment) and the emergency page's diagnostics. */
  inbound?: { settings?: Partial<InboundSettings>; diagnose?: Diagnose };
  logger: Logger;
  secrets: SecretSource;
  clock?: Clock;
  /** The notification pipeline; without one, intents are printed by the built-in log channel. */
  delivery?: DeliveryFactory;
  /** The check runner; runtime/checks by default. */
  runCheck?: CheckRunner;
  port: number;
  host: string;
  /** Checks running at once (default 256). */
  concurrency?: number;
  /** Largest per-monitor schedule offset (default 30 s; 0 fires every monitor on the exact tick). */
  spreadMs?: number;
  /** How long stop() waits for in-flight checks and delivery (default 10 s). */
  drainTimeoutMs?: number;
  /** Extra observer of scheduling lag in ms (benchmarks). */
  onLag?: (lagMs: number) => void;
  /** Host names the views and API answer to beyond IP addresses, localhost, service names and publicUrl's host (WK_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** How long a commit may wait for ticks still running to share its transaction (default 10 ms; 0: the next turn of the event loop only). */
  commitWindowMs?: number;
}

/** Diagnostics must not hold a firing alert's trigger back for long. */
const DIAGNOSTICS_TIMEOUT_MS = 8_000;

/** An assembled runtime: store, scheduler, checks, alert state, delivery and HTTP server. */
export interface Runtime {
  readonly store: Store;
  readonly metrics: RuntimeMetrics;
  readonly router: Router;
  /** Binds the HTTP server and starts scheduling and delivery; resolves with the listening URL. */
  start(): Promise<string>;
  /** Graceful stop: no new ticks, in-flight checks finish (within the timeout), delivery flushes, all closes. */
  stop(): Promise<void>;
  /** Runs one monitor's tick now (tests, `wk test`-like probes). */
  tickNow(monitorId: string): Promise<void>;
  /** Every secret value the runtime knows (its secret source's and the routing keys delivery reads), for the log to redact; never log this. */
  secretValues(): string[];
}

/** Wires a runtime from its dependencies. Nothing here reads globals: clock, logger and secrets are passed in. */
export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  // Before the first HTTP check compiles undici's parser: no TurboFan compile spike after start-up.
  keepWebAssemblyAtBaseline();
  // Objects that die within their check stay in the young generation (pretenuring.ts).
  allocateYoungObjectsYoung();
  const clock = o.clock ?? systemClock;
  const logger = o.logger;
  const checks = o.runCheck ? null : await import("./checks/index.js");
  const runCheck = o.runCheck ?? selfBounded(checks!.runCheck, checks!.ABORT_GRACE_MS);
  const settings = runtimeSettingsOf(o.manifest);
  const webhookReplayWindowMs = replayWindowMs(durationMs(settings.webhookMaxAge));
  const store: Store = o.openStore ? await o.openStore(clock.now()) : SqliteStore.open(o.stateDir, clock.now(), {
        webhookReplayWindowMs,
        onBackgroundError: (error) => logger.error({ err: error }, "result rollups could not be written (closed minutes stay held and are retried) or rebuilt at start (damaged history pages)"),
        onNotice: (level, message) => logger[level](message),
      });
  const monitorIds = o.manifest.monitors.map((m) => m.id);
  const metrics = createMetrics({
    alertStates: () => store.alertStates(),
    outboxDepth: () => store.depth(),
    declaredSecrets: o.manifest.secrets,
    missingSecrets: () => o.secrets.missing(),
    monitorIds,
    erroringMonitors: async () => erroringMonitors(await store.latestResults()).map((m) => m.id),
    monitors: {
      monitorIds,
      latestResults: () => store.latestResults(),
      allAlerts: () => store.allAlerts(),
      recentResults: (id, limit) => store.recentResults(id, limit),
    },
  });
  metrics.schedulingLag.observe(0); // make the histogram visible before the first tick
  for (const name of o.secrets.missing()) {
    logger.warn({ secret: name }, "declared secret is not set; what needs it waits until it is");
  }
  // A value this short cannot be told from ordinary text: it is not redacted anywhere, so say so.
  for (const name of o.manifest.secrets) {
    const value = o.secrets.get(name);
    if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
      logger.warn(
        { secret: name },
        `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters, too short to tell from ordinary text, so it is not redacted from logs, results or pages: give it a longer value`,
      );
    }
  }
  // A key or token with a space or line break around it fails every page or request that sends it
  // (a vendor refuses the key, a header or URL cannot carry it): named, never quoted, and used as set.
  for (const name of o.manifest.secrets) {
    const value = o.secrets.get(name);
    if (value !== undefined && /^[ \t\r\n]|[ \t\r\n]$/.test(value)) {
      logger.warn(
        { secret: name },
        `secret ${name} starts or ends with a space, a tab or a line break, which a routing key, token or URL does not: it is used as set; remove them from its value (a secret file keeps one final line break out by itself)`,
      );
    }
  }
  // A token no client can send leaves the API closed to every script, with nothing but 401s to say why.
  const apiToken = o.secrets.get(API_TOKEN_SECRET);
  if (apiToken !== undefined && !/^[\x21-\x7e]+$/.test(apiToken)) {
    logger.warn(
      { secret: API_TOKEN_SECRET },
      `the API token holds a space, a line break or a character outside printable ASCII, which no client can send as Authorization: Bearer <token>: set ${API_TOKEN_SECRET} to printable ASCII (openssl rand -hex 32)`,
    );
  }
  // Every secret value known: the declared ones and the runtime's own (its API token, the webhook
  // signing key). Project code could read any of them without asking secret(), so what it returns
  // is scrubbed of all of them, as diagnostics are.
  // And the routing keys delivery reads from the routing keys file, once delivery is built: project
  // code can read that file as it can read the environment.
  let deliverySecrets = (): string[] => [];
  const secretValues = () => [
    ...o.manifest.secrets.map((name) => o.secrets.get(name)).filter((v): v is string => v !== undefined),
    ...("values" in o.secrets && typeof o.secrets.values === "function" ? (o.secrets.values as () => string[])() : []),
    ...deliverySecrets(),
  ];
  // The project's code runs in a worker thread: an endless loop there cannot stop every other monitor.
  const needsCode = o.bundle ? Object.values(o.bundle).some((code) => code && hasFunctions(code)) : o.manifest.monitors.some((m) => Object.values(m.code).some(Boolean));
  const codeHost =
    o.bundleUrl && needsCode
      ? new CodeHost({
          bundleUrl: o.bundleUrl,
          bundleSha256: o.manifest.bundle?.sha256 ?? null,
          logger: logger.child({ component: "code" }),
          ...(o.codeStallMs ? { stallMs: o.codeStallMs } : {}),
          onRestart: (reason) => metrics.codeWorkerRestarts.inc({ reason }),
        })
      : null;
  const bundle = o.bundle ?? (codeHost ? await exportedBy(codeHost, secretValues) : {});
  const missing = findMissingExports(o.manifest.monitors, bundle);
  const declaredSecrets = () => Object.fromEntries(o.manifest.secrets.flatMap((name) => {
    const value = o.secrets.get(name);
    return value === undefined ? [] : [[name, value] as const];
  }));
  const units = new Map<string, MonitorUnit>();
  for (const m of o.manifest.monitors) {
    const gaps = missing.filter((x) => x.monitorId === m.id);
    const broken = gaps.length === 0 ? null : `monitors.mjs lacks ${gaps.map((g) => `${g.export}()`).join(", ")} for ${m.id}; recompile the project`;
    const local = codeOf(bundle, m.id);
    if (codeHost && local && !broken && hasFunctions(local)) {
      const hosted = hostedCode(codeHost, m, local, declaredSecrets);
      const prepare = async (results: CheckResult[], vanished: CheckResult[]) => withScrubbedSummary(await hosted.prepare(results, vanished), secretValues);
      units.set(m.id, monitorUnit(m, hosted.code, null, prepare));
    } else {
      units.set(m.id, monitorUnit(m, withScrubbedSummary(local, secretValues), broken));
    }
  }
  reportMissingExports(missing, metrics, logger);

  // Diagnostics ride on the trigger to vendors and into the store's record: no secret value, and a bounded size.
  const redactDiagnostics = (text: string) => redactThenShorten(text, DIAGNOSTICS_RECORD_MAX, secretValues());

  // One keep-alive pool for every HTTP check: 10,000 monitors must not open 10,000 sockets per tick.
  const dispatcher = new Agent({ keepAliveTimeout: 15_000, connections: 64 });
  const startedAt = new Date(clock.now());
  // Aborted when shutdown gives up waiting, so checks still running let go of their sockets.
  const shutdown = new AbortController();
  // Checks that finish close together share one transaction; each tick resumes after its batch commits.
  let ticking = 0;
  const counted = async (work: () => Promise<unknown>): Promise<void> => {
    ticking++;
    try {
      await work();
    } finally {
      ticking--;
    }
  };
  // A batch waits (up to the window) only while another tick runs or is due within it: a lone
  // tick, or a test stepping ticks one at a time, is written at once.
  const commitWindowMs = o.commitWindowMs ?? COMMIT_WINDOW_MS;
  const othersComing = (queued: number) => {
    if (ticking > queued) return true;
    // Ticks (and so commits) start only once the scheduler below exists.
    const next = scheduler.nextTickAt?.() ?? null;
    return next !== null && next <= clock.now() + commitWindowMs;
  };
  const commits = new GroupCommit(store, { windowMs: commitWindowMs, othersComing });
  const tickDeps: TickDeps = {
    store: commits,
    runCheck,
    clock,
    logger,
    metrics,
    context: { startedAt, signal: shutdown.signal, secret: (name: string) => o.secrets.get(name), secretValues, inbound: store, dispatcher },
    diagnose: async (monitor, now) => {
      const signal = AbortSignal.timeout(DIAGNOSTICS_TIMEOUT_MS);
      return redactDiagnostics((await runDiagnostics(monitor.diagnostics, { now: new Date(now), signal, dispatcher })).text);
    },
    // Replicas share their alerts through the store passed in; the embedded store is this process's alone.
    soleEvaluator: o.openStore === undefined,
  };
  const tick = async (monitorId: string, scheduledAt: number, claim?: TickClaim) => {
    const unit = units.get(monitorId);
    if (unit) await counted(() => runTick(unit, scheduledAt, tickDeps, claim));
  };
  const onLag = (ms: number) => {
    metrics.schedulingLag.observe(ms / 1000);
    o.onLag?.(ms);
  };
  const concurrency = o.concurrency ?? 256;
  const spreadMs = o.spreadMs ?? 30_000;
  const rollOutAlerts = async (): Promise<void> => {
    const rollout = await rollOut(store, o.manifest, clock.now());
    if (rollout.carried.length > 0) logger.info({ carried: rollout.carried }, "open alerts of renamed monitors carried over with their dedup keys");
    // One line per closed alert, as for every other transition; the summary says why.
    logAlertEvents(logger.child({ reason: "monitor removed from the manifest" }), rollout.events);
    // Monitors still firing whose service or channels changed: the new destinations get the incident, the old a resolve.
    const rerouted = await rerouteOpenAlerts(o.manifest, store, clock.now());
    for (const r of rerouted.rerouted) logger.info(r, "firing alert rerouted: its monitor's routing changed in this deploy");
  };
  const scheduler: TickScheduler = o.scheduling
    ? await o.scheduling({
        manifest: o.manifest, run: tick, clock, logger, metrics, concurrency, spreadMs, onLag, rollOut: rollOutAlerts,
        check: async (monitorId, scheduledAt) => {
          const unit = units.get(monitorId);
          return unit ? checkOnce(unit, scheduledAt, tickDeps) : { kind: "error", error: `no monitor ${monitorId}`, durationMs: 0 };
        },
        evaluateLocations: async (monitorId, scheduledAt, outcomes, claim) => {
          const unit = units.get(monitorId);
          if (unit) await counted(() => runLocatedTick(unit, scheduledAt, tickDeps, outcomes, claim));
        },
      })
    : embeddedScheduler(o.manifest, { clock, concurrency, spreadMs, run: tick, onLag, metrics, logger });
  if (scheduler.ownsRollout) {
    await rollOutAlerts();
  } else {
    logger.info({ manifest: o.manifest.hash }, "another manifest owns the schedules: alert rollout is left to its replicas");
  }

  const delivery: DeliveryService = o.delivery
    ? o.delivery({
        manifest: o.manifest,
        store,
        secrets: o.secrets,
        logger: logger.child({ component: "delivery" }),
        clock: () => clock.now(),
        registry: metrics.registry,
      })
    : createLogChannel(store, logger.child({ component: "log-channel" }), clock);
  if (delivery.secretValues) deliverySecrets = () => delivery.secretValues!();

  const pruner = new Pruner({
    stores: [store],
    retention: retentionOf(settings),
    clock,
    logger: logger.child({ component: "pruner" }),
    onBatch: (ms, rows) => {
      metrics.pruneBatch.observe(ms / 1000);
      metrics.prunedRows.inc(rows);
    },
  });

  const inboundSettings: InboundSettings = { ...DEFAULT_INBOUND_SETTINGS, ...o.inbound?.settings };
  const router = new Router();
  // One count of wrong API tokens per client for every route that takes the token.
  const tokenGuesses = new TokenGuesses(inboundSettings.trustProxy);
  // Sessions signed out, read from the store at start and every few seconds (other replicas' sign-outs).
  const signedOut = new SignedOutSessions(store, logger.child({ component: "views" }));
  registerRuntimeRoutes(router, {
    manifest: o.manifest, store, metrics, secrets: o.secrets, clock, logger, missingExports: missing, tokenGuesses, signedOut,
    ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}),
    ...(scheduler.readiness ? { readiness: () => scheduler.readiness!() } : {}),
    ...(scheduler.monitorNotes ? { monitorNotes: () => scheduler.monitorNotes!() } : {}),
    ...(scheduler.replicas ? { replicas: () => scheduler.replicas!() } : {}),
  });
  delivery.registerRoutes(router, tokenGuesses, signedOut);
  const views = registerViewRoutes(router, {
    manifest: o.manifest, store, clock, logger: logger.child({ component: "views" }), secret: (name) => o.secrets.get(name),
    trustProxy: inboundSettings.trustProxy,
    tokenGuesses,
    signedOut,
    ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}),
    ...(scheduler.monitorNotes ? { monitorNotes: () => scheduler.monitorNotes!() } : {}),
    ...(scheduler.replicas ? { replicas: () => scheduler.replicas!() } : {}),
  });
  registerInboundRoutes(router, {
    manifest: o.manifest,
    store,
    alerts: new StoreAlertControl(store, o.manifest, logger, delivery.pagerDutyServices ? (monitorId) => delivery.pagerDutyServices!(monitorId) : undefined),
    secret: (name) => o.secrets.get(name),
    secretValues,
    logger: logger.child({ component: "inbound" }),
    clock: () => clock.now(),
    settings: inboundSettings,
    ...(o.inbound?.diagnose ? { diagnose: async (monitor, now, signal) => redactDiagnostics(await o.inbound!.diagnose!(monitor, now, signal)) } : {}),
    onUnknownHeartbeat: () => metrics.heartbeatUnknown.inc(),
    ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}),
  });
  const server: Server = createHttpServer(router, logger);
  const drainMs = o.drainTimeoutMs ?? 10_000;
  let stopped: Promise<void> | null = null;

  return {
    store,
    metrics,
    router,
    secretValues,
    async start() {
      // Read before the first request, so a session signed out before a restart stays out.
      await signedOut.start(() => clock.now());
      const addr = await listen(server, o.port, o.host);
      await scheduler.start();
      delivery.start();
      pruner.start();
      checkStateInBackground(store, logger);
      const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
      const url = `http://${host}:${addr.port}`;
      logger.info({ url, monitors: units.size, manifest: o.manifest.hash }, "watchkeeper runtime listening");
      return url;
    },
    stop() {
      stopped ??= (async () => {
        await scheduler.stop();
        const finished = await scheduler.drain(drainMs);
        if (!finished) logger.warn({ timeoutMs: drainMs }, "in-flight checks did not finish before the shutdown timeout");
        shutdown.abort(new Error("runtime stopping"));
        await commits.drain().catch((error: unknown) => logger.error({ err: error }, "could not write the last evaluations"));
        await delivery.stop(drainMs).catch((error: unknown) => logger.error({ err: error }, "delivery did not stop cleanly"));
        // Event streams never end by themselves: close them so the server can.
        views.close();
        signedOut.close();
        await closeServer(server);
        await pruner.stop();
        await scheduler.close?.().catch((error: unknown) => logger.error({ err: error }, "scheduler did not close cleanly"));
        await dispatcher.close().catch(() => undefined);
        await codeHost?.close();
        await store.close();
        logger.info("watchkeeper runtime stopped");
      })();
      return stopped;
    },
    async tickNow(monitorId) {
      await tick(monitorId, clock.now());
    },
  };
}

/** The embedded scheduler: this process runs every monitor's ticks. */
function embeddedScheduler(
  manifest: Manifest,
  o: { clock: Clock; concurrency: number; spreadMs: number; run: (id: string, at: number) => Promise<void>; onLag(ms: number): void; metrics: RuntimeMetrics; logger: Logger },
): TickScheduler {
  const scheduler = new Scheduler({
    clock: o.clock,
    concurrency: o.concurrency,
    spreadMs: o.spreadMs,
    run: o.run,
    onLag: o.onLag,
    onSkip: (monitorId) => {
      o.metrics.ticksSkipped.inc({ reason: "overlap" });
      o.logger.warn({ monitorId }, "tick skipped: the previous check of this monitor is still running");
    },
  });
  for (const m of manifest.monitors) scheduler.add(m.id, m.schedule);
  // Embedded mode is the one location `local`: a monitor naming others runs from here, once, and says so.
  const notes = new Map<string, string>();
  for (const m of manifest.monitors) {
    const elsewhere = (m.locations ?? []).filter((l) => l !== "local");
    if (elsewhere.length > 0) notes.set(m.id, `checked from local only: locations ${elsewhere.join(", ")} need scale-out replicas (wk run --redis --location)`);
  }
  return {
    ownsRollout: true,
    ...(notes.size > 0
      ? {
          monitorNotes: async () => notes,
          readiness: async () => ({ ready: true, reason: null, publicReason: null, details: { locationWarnings: Object.fromEntries(notes) } }),
        }
      : {}),
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
    drain: (ms) => scheduler.drain(ms),
    nextTickAt: () => scheduler.nextDueAt(),
  };
}

function reportMissingExports(missing: MissingExport[], metrics: RuntimeMetrics, logger: Logger): void {
  for (const gap of missing) {
    metrics.bundleMissingExport.set({ monitor: gap.monitorId, export: gap.export }, 1);
    logger.error(
      { monitorId: gap.monitorId, export: gap.export },
      `monitors.mjs has no ${gap.export}() for ${gap.monitorId}: its checks fail until the project is recompiled`,
    );
  }
}

/**
 * A large SQLite state file had only its alert-state tables checked at start: its history tables
 * are read now, in a child process, and a problem is logged as an error with what to do.
 */
function checkStateInBackground(store: Store, logger: Logger): void {
  const check = store instanceof SqliteStore ? store.checkDeferred() : null;
  if (check === null) return;
  logger.info("the state database is large: its alert state was checked at start, its history is being checked in the background");
  check.then(
    (problems) => {
      if (problems.length === 0) logger.info("the state database passed its integrity check");
      else
        logger.error(
          { problems: problems.slice(0, 10), more: Math.max(0, problems.length - 10) },
          "the state database failed its integrity check: alert state passed it at start, but history pages are damaged; stop the runtime, move state.db and its -wal and -shm files aside together (or restore them from a backup) and start again",
        );
    },
    (error: unknown) => logger.warn({ err: error }, "the background integrity check of the state database could not run"),
  );
}

/**
 * The bundle as its code worker reports it: each exported function is named, and calling one in
 * this thread is a bug (every call goes to the worker). A bundle that does not load refuses the start.
 */
async function exportedBy(host: CodeHost, secretValues: () => string[]): Promise<MonitorBundle> {
  let exported: Record<string, string[]>;
  try {
    exported = await host.exports();
  } catch (error) {
    await host.close();
    // The bundle's top level may have thrown a secret it read (the worker's environment holds the
    // declared ones); the reason is printed where `wk run` refuses to start.
    throw new ArtifactError(redact((error as Error).message.replace(/^could not be run: /, ""), secretValues()));
  }
  const inWorker = () => {
    throw new Error("the project's code runs in the code worker, not in the runtime's thread");
  };
  return Object.fromEntries(Object.entries(exported).map(([id, names]) => [id, Object.fromEntries(names.map((name) => [name, inWorker]))]));
}
