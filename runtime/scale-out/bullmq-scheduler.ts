import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Queue, Worker, type Job, type RedisOptions } from "bullmq";
import type { Redis } from "ioredis";
import { Counter, Gauge } from "prom-client";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { deadlineOf } from "../evaluate/run-check.js";
import type { TickClaim } from "../scheduler/tick-claim.js";
import type { SchedulerReadiness, TickScheduler, TickSchedulerDeps, TickSchedulerFactory } from "../scheduler/tick-scheduler.js";
import { abandonBullmq, settlesWithin, whenTrue } from "./bullmq-abandon.js";
import { OFF_CLOCK_MS, offClockMs } from "./clock-agreement.js";
import { reconnectDelay } from "./redis-connection.js";
import { LocationReports } from "./location-reports.js";
import { ReplicaRegistry, type ReplicaInfo } from "./replica-registry.js";
import { ANYWHERE_QUEUE, cronStrategy, handoffQueue, locationQueue, locationsOf, queuesOf, repeatOf, scheduledAtOf, scheduledTooFarAhead, specFingerprint, type TickJobData } from "./schedules.js";

export interface ScaleOutOptions {
  /** Connection options parsed from the Redis URL (BullMQ opens its own connections with them). */
  redis: RedisOptions;
  /** The URL without its password, for messages. */
  shownUrl: string;
  /** The replica's control connection (heartbeats, ownership); closed by close(). */
  control: Redis;
  prefix: string;
  /** Where this replica probes from (`local` by default). */
  location: string;
  /** How often BullMQ looks for jobs whose worker died (default 5 s). */
  stalledIntervalMs?: number;
  /** Heartbeat period (default 2 s); a replica is gone after 5 missed beats. */
  heartbeatMs?: number;
}

/** Shortest job lock: renewed every half, so a busy event loop must not stall longer than this half. */
const MIN_LOCK_MS = 5_000;
/** How long past a check's deadline a quorum tick waits for the other locations' reports. */
const QUORUM_GRACE_MS = 5_000;
/** How long one replica's evaluation of a quorum tick may take before another may do it instead. */
const QUORUM_LEASE_MS = 30_000;

/**
 * The scale-out scheduler: BullMQ job schedulers (one per monitor and location) produce one job
 * per tick; the workers of every replica on the same Redis and prefix take them, so each tick runs
 * once across the replicas, and the jobs of a replica that dies are taken over by the others once
 * their lock lapses (lockDuration from the longest check deadline, then the stall check).
 */
export function bullmqScheduling(o: ScaleOutOptions): TickSchedulerFactory {
  return async (d) => {
    const s = new BullmqScheduler(o, d);
    await s.init();
    return s;
  };
}

class BullmqScheduler implements TickScheduler {
  ownsRollout = false;
  private readonly registry: ReplicaRegistry;
  private readonly fingerprints = new Map<string, string>();
  private readonly queues = new Map<string, Queue<TickJobData>>();
  private readonly workers: Worker<TickJobData>[] = [];
  private readonly slots: Semaphore;
  private readonly lockMs: number;
  private readonly stalledMs: number;
  private readonly heartbeatMs: number;
  private beatTimer: NodeJS.Timeout | null = null;
  private owner: string | null = null;
  /** When the owner last changed (Redis's clock), as the last beat said: a change means ownership moved. */
  private ownerSince = "";
  /** The data's epoch as this replica last saw it: a change means Redis lost its data. */
  private epoch: string | null = null;
  private mustReconcile = false;
  /** Set when this replica's manifest became the owner after start-up: its alert rollout is still to run. */
  private mustRollOut = false;
  private lastBeatOk = 0;
  private lastError: string | null = null;
  /** How far this process's clock is off the replicas' reference clock (clock-agreement.ts); 0: it takes ticks. */
  private offClock = 0;
  private closing: Promise<void> | null = null;
  /** Tick jobs this replica is processing now. */
  private active = 0;
  private readonly logged = new Map<string, number>();
  /** Hand-off queues this replica has filed in `{p}:handoff-queues` (once each). */
  private readonly filedHandoffs = new Set<string>();
  /** What is wrong with the Redis settings (eviction, no AOF), found at start. */
  private readonly redisWarnings: string[] = [];
  private readonly reports: LocationReports;
  private readonly deadlines = new Set<NodeJS.Timeout>();
  /** How long this replica surely holds each tick job it is running, by queue and job id. */
  private readonly claims = new Map<string, { until: number }>();
  private readonly m: { checks: Counter<"replica" | "location">; stalled: Counter<"queue">; retried: Counter<"queue">; left: Counter<"reason">; failed: Counter<"queue">; lost: Counter };

  constructor(private readonly o: ScaleOutOptions, private readonly d: TickSchedulerDeps) {
    const self: ReplicaInfo = {
      id: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      location: o.location,
      manifest: d.manifest.hash,
      host: hostname(),
      pid: process.pid,
      startedAt: new Date(d.clock.now()).toISOString(),
    };
    this.heartbeatMs = o.heartbeatMs ?? 2_000;
    this.registry = new ReplicaRegistry(o.control, o.prefix, self, this.heartbeatMs * 5);
    for (const m of d.manifest.monitors) this.fingerprints.set(m.id, specFingerprint(m));
    this.slots = new Semaphore(d.concurrency);
    this.reports = new LocationReports(o.control, o.prefix);
    // Why the control connection dropped or cannot reconnect (refused credentials, a reset) is what /readyz says.
    o.control.on("error", (error: unknown) => this.noteError(error));
    const longest = Math.max(0, ...d.manifest.monitors.map(deadlineOf));
    this.lockMs = Math.max(MIN_LOCK_MS, longest);
    this.stalledMs = o.stalledIntervalMs ?? 5_000;
    const registry = d.metrics.registry;
    this.m = {
      checks: new Counter({ name: "watchkeeper_scaleout_checks_total", help: "Ticks this replica ran, by replica and location.", labelNames: ["replica", "location"], registers: [registry] }),
      stalled: new Counter({ name: "watchkeeper_scaleout_stalled_jobs_total", help: "Tick jobs found stalled (their worker died) and taken over.", labelNames: ["queue"], registers: [registry] }),
      retried: new Counter({ name: "watchkeeper_scaleout_retried_jobs_total", help: "Tick jobs run again after a failed or stalled attempt.", labelNames: ["queue"], registers: [registry] }),
      failed: new Counter({ name: "watchkeeper_scaleout_failed_jobs_total", help: "Tick job attempts that failed (Redis errors during the tick).", labelNames: ["queue"], registers: [registry] }),
      lost: new Counter({ name: "watchkeeper_scaleout_redis_data_lost_total", help: "Times this replica found that Redis had lost its data (restarted without persistence, flushed).", registers: [registry] }),
      left: new Counter({ name: "watchkeeper_scaleout_jobs_left_total", help: "Tick jobs this replica left to others (a monitor its manifest lacks or defines differently), by reason.", labelNames: ["reason"], registers: [registry] }),
    };
    const queues = this.queues;
    new Gauge({
      name: "watchkeeper_scaleout_queue_jobs",
      help: "Tick jobs in each queue by state (wait, delayed, active, prioritized).",
      labelNames: ["queue", "state"],
      registers: [registry],
      async collect() {
        for (const [name, q] of queues) {
          const counts = await q.getJobCounts("wait", "delayed", "active", "prioritized").catch(() => null);
          if (counts) for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }
      },
    });
  }

  async init(): Promise<void> {
    await this.checkRedisSettings();
    const first = await this.registry.beat(this.d.clock.now(), this.d.clock.now);
    ({ owner: this.owner, ownerSince: this.ownerSince, epoch: this.epoch } = first);
    this.warnOfSkew(first.skewMs);
    this.lastBeatOk = this.d.clock.now();
    await this.judgeClock();
    const owns = this.owner === this.d.manifest.hash;
    // BullMQ starts a job scheduler from the process's clock, and a rollout marks alerts with this
    // replica's time: an owner whose clock is off does both once it agrees with the others.
    this.ownsRollout = owns && this.offClock === 0;
    const names = new Set([ANYWHERE_QUEUE, locationQueue(this.o.location), ...this.d.manifest.monitors.flatMap(queuesOf)]);
    for (const name of names) this.queue(name);
    if (owns && this.offClock !== 0) this.mustReconcile = this.mustRollOut = true;
    else if (owns) await this.reconcile();
    else this.d.logger.info({ owner: this.owner, manifest: this.d.manifest.hash }, "a newer manifest owns the schedules; this replica runs the ticks it agrees on");
    const locations = [...new Set(this.d.manifest.monitors.flatMap(locationsOf))];
    const unserved = await this.registry.unserved(locations, this.d.clock.now());
    for (const location of unserved) {
      const monitors = this.d.manifest.monitors.filter((m) => locationsOf(m).includes(location)).map((m) => m.id);
      this.d.logger.warn({ location, monitors }, `no replica serves location ${location}: these monitors do not run there until one starts with --location ${location}`);
    }
  }

  async start(): Promise<void> {
    const strategy = cronStrategy(this.d.spreadMs);
    const own = [ANYWHERE_QUEUE, locationQueue(this.o.location)];
    const handoffs = this.ownHandoffQueues();
    await this.fileOwnHandoffQueues();
    for (const name of [...own, ...handoffs]) {
      const worker = new Worker<TickJobData>(name, (job, token) => this.process(name, job, token), {
        connection: { ...schedulerConnection(this.o.redis), maxRetriesPerRequest: null },
        prefix: this.bullPrefix(),
        concurrency: this.d.concurrency,
        lockDuration: this.lockMs,
        stalledInterval: this.stalledMs,
        maxStalledCount: 2,
        settings: { repeatStrategy: strategy },
        // Run by takeTicks() once this replica's clock is known to agree with the others'.
        autorun: false,
      });
      worker.on("stalled", () => this.m.stalled.inc({ queue: name }));
      // A renewed lock extends this replica's claim on the tick; one another replica took ends it.
      worker.on("locksRenewed", ({ jobIds }) => this.extendClaims(name, jobIds, this.d.clock.now() + this.lockMs - CLAIM_MARGIN_MS));
      worker.on("lockRenewalFailed", (jobIds) => this.extendClaims(name, jobIds, 0));
      worker.on("failed", (job, error) => {
        this.m.failed.inc({ queue: name });
        this.d.logger.warn({ queue: name, monitorId: job?.data.monitorId, err: error }, "tick job failed; BullMQ retries it once");
      });
      worker.on("error", (error) => this.noteError(error));
      this.workers.push(worker);
    }
    this.takeTicks();
    this.beatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.beatTimer.unref();
  }

  stop(): void {
    for (const t of this.deadlines) clearTimeout(t);
    this.deadlines.clear();
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = null;
    // close() lets active jobs finish and stops taking new ones.
    this.closing ??= Promise.all(this.workers.map((w) => w.close())).then(() => undefined);
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    // BullMQ's close waits for Redis: with Redis gone it would hold the stop for the whole drain
    // time (and say checks were still running) though no tick is. No tick running and no Redis is
    // drained too; close() then drops what BullMQ still holds.
    const idleWithoutRedis = whenTrue(() => this.active === 0 && this.o.control.status !== "ready", IDLE_POLL_MS);
    const done = await Promise.race([this.closing!.then(() => true), idleWithoutRedis.done.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    idleWithoutRedis.cancel();
    return done;
  }

  async close(): Promise<void> {
    const bullmq = [...this.workers, ...this.queues.values()];
    // BullMQ's close waits for its connections to be ready: with Redis gone or refusing our
    // credentials it would wait forever, and a stopping replica would never exit.
    const closed = await settlesWithin(
      (async () => {
        await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
        await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
      })(),
      CLOSE_TIMEOUT_MS,
    );
    if (!closed) {
      this.d.logger.warn({ redis: this.o.shownUrl }, "BullMQ did not close within 5 s (Redis unreachable?); dropping its connections");
      for (const part of bullmq) abandonBullmq(part);
    }
    await this.registry.leave().catch(() => undefined);
    await this.o.control.quit().catch(() => this.o.control.disconnect());
  }

  /** Readiness within READINESS_TIMEOUT_MS: a stalled Redis makes /readyz say so, not hang. */
  async readiness(): Promise<SchedulerReadiness> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<SchedulerReadiness>((resolve) => {
      timer = setTimeout(() => {
        resolve({
          ready: false,
          reason: `Redis at ${this.o.shownUrl} did not answer within ${READINESS_TIMEOUT_MS / 1000} s (a slow command, a fork on a large dataset, a stalled server); ticks wait for it`,
          publicReason: `Redis did not answer within ${READINESS_TIMEOUT_MS / 1000} s; ticks wait for it`,
          details: { redis: "not answering", replica: { id: this.registry.self.id, location: this.o.location } },
        });
      }, READINESS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.readinessNow(), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readinessNow(): Promise<SchedulerReadiness> {
    const now = this.d.clock.now();
    const connected = this.o.control.status === "ready" && now - this.lastBeatOk < this.registry.ttlMs;
    // A Redis that answers but refuses writes (maxmemory with noeviction, a read-only replica) is not "unreachable".
    const refused = this.o.control.status === "ready" ? await this.writeRefused(now) : null;
    const details: Record<string, unknown> = {
      redis: refused !== null ? "refusing writes" : connected ? "connected" : "unreachable",
      replica: { id: this.registry.self.id, location: this.o.location },
      schedulesOwner: this.owner,
      ownsSchedules: this.owner === this.d.manifest.hash,
      ...(this.redisWarnings.length > 0 ? { redisWarnings: this.redisWarnings } : {}),
    };
    if (refused !== null) return { ready: false, reason: `Redis at ${this.o.shownUrl} refuses writes: ${refused}`, publicReason: "Redis refuses writes", details };
    if (connected && this.offClock !== 0) return { ready: false, reason: offClockReason(this.offClock), publicReason: "this replica's clock is off the other replicas' and Redis's; it takes no ticks", details };
    if (!connected) {
      if (this.lastError !== null && /WRONGPASS|NOAUTH|invalid username-password/i.test(this.lastError)) {
        details.redis = "refusing credentials";
        return {
          ready: false,
          reason: `Redis at ${this.o.shownUrl} refuses this replica's credentials: ${this.lastError} (was the password changed? fix --redis or WATCHKEEPER_REDIS_URL and restart the replica); reconnecting`,
          publicReason: "Redis refuses this replica's credentials; reconnecting",
          details,
        };
      }
      return { ready: false, reason: `Redis at ${this.o.shownUrl} is unreachable${this.lastError ? `: ${this.lastError}` : ""}; reconnecting`, publicReason: "Redis is unreachable; reconnecting", details };
    }
    const [replicas, unserved] = await Promise.all([
      this.registry.replicas(now),
      this.registry.unserved([...new Set(this.d.manifest.monitors.flatMap(locationsOf))], now),
    ]);
    details.replicas = replicas.map((r) => ({ id: r.id, location: r.location, manifest: r.manifest, startedAt: r.startedAt }));
    details.unservedLocations = unserved.map((location) => ({
      location,
      monitors: this.d.manifest.monitors.filter((m) => locationsOf(m).includes(location)).map((m) => m.id),
      warning: `no replica serves ${location}; start one with --location ${location}`,
    }));
    return { ready: true, reason: null, publicReason: null, details };
  }

  /**
   * Liveness, ownership, schedule starts, quorum deadlines and delivery use Redis's clock; tick
   * lag and the checks' own timing use this replica's: a clock off by seconds is said once a minute.
   */
  private warnOfSkew(skewMs: number): void {
    if (Math.abs(skewMs) < MAX_SKEW_MS) return;
    this.logOnce("skew", () =>
      this.d.logger.warn({ skewMs }, `this replica's clock is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? "behind" : "ahead of"} Redis's: liveness, quorum deadlines and delivery follow Redis's, but logs and check times use it, and from 5 s off the others' it takes no ticks; keep replicas on NTP`),
    );
  }

  /**
   * Measures how far the process's clock (the one BullMQ reads) is ahead of Redis's, publishes it
   * with the next beat, and judges it against the other live replicas' (clock-agreement.ts).
   */
  private async judgeClock(): Promise<void> {
    const now = this.d.clock.now();
    const ahead = Date.now() - (now + this.registry.skewMs);
    this.registry.clockAheadMs = ahead;
    const others = (await this.registry.replicas(now)).filter((r) => r.id !== this.registry.self.id && typeof r.clockAheadMs === "number").map((r) => r.clockAheadMs!);
    this.offClock = offClockMs(ahead, others);
  }

  /**
   * Runs the tick workers while this replica's clock agrees with the others', and pauses them
   * while it does not: BullMQ would run every tick it thinks due and schedule the next ones from
   * this clock (clock-agreement.ts). A tick already running finishes.
   */
  private takeTicks(): void {
    for (const worker of this.workers) {
      if (this.offClock !== 0) {
        if (!worker.isPaused()) void worker.pause(true).catch((error: unknown) => this.noteError(error));
      } else if (worker.isPaused()) worker.resume();
      else if (!worker.isRunning()) void worker.run().catch((error: unknown) => this.noteError(error));
    }
    if (this.offClock === 0) return;
    this.logOnce("off clock", () =>
      this.d.logger.error({ offMs: this.offClock }, `${offClockReason(this.offClock)}; fix the clock (NTP) of whichever machine is wrong`),
    );
  }

  /** Why a probe write fails (with what to do about it), or null when Redis takes writes. */
  private async writeRefused(now: number): Promise<string | null> {
    try {
      await this.o.control.set(`${this.o.prefix}:probe`, String(now));
      return null;
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
      if (/^OOM/.test(message)) return `${message} (it is full: raise maxmemory or shorten retention; ticks and pages wait, nothing accepted is lost)`;
      if (/^READONLY/.test(message)) return `${message} (point --redis at the primary, or through Sentinel)`;
      if (this.o.control.status !== "ready") return null;
      return message;
    }
  }

  /**
   * Settings of this Redis that lose what docs/scale-out.md promises to keep, said once at start
   * and in /readyz. INFO may be refused (managed Redis): then nothing is said.
   */
  private async checkRedisSettings(): Promise<void> {
    const memory = await this.o.control.info("memory").catch(() => "");
    const policy = /^maxmemory_policy:(\S+)/m.exec(memory)?.[1];
    if (policy && policy !== "noeviction") {
      this.redisWarnings.push(`maxmemory-policy is ${policy}: Redis evicts keys when full, and an evicted alert, delivery or job is a lost or repeated page; set maxmemory-policy noeviction`);
    }
    const persistence = await this.o.control.info("persistence").catch(() => "");
    if (/^aof_enabled:0/m.test(persistence)) {
      this.redisWarnings.push("appendonly is off: a Redis restart loses alert state and queued pages; set appendonly yes (docs/scale-out.md, production settings)");
    }
    for (const warning of this.redisWarnings) this.d.logger.warn({ redis: this.o.shownUrl }, `Redis at ${this.o.shownUrl}: ${warning}`);
  }

  /** Live replicas (status page). */
  replicas(): Promise<ReplicaInfo[]> {
    return this.registry.replicas(this.d.clock.now());
  }

  /** Monitors with a location no live replica serves: not checked there until one starts. */
  async monitorNotes(): Promise<Map<string, string>> {
    const notes = new Map<string, string>();
    const unserved = await this.registry.unserved([...new Set(this.d.manifest.monitors.flatMap(locationsOf))], this.d.clock.now());
    if (unserved.length === 0) return notes;
    for (const m of this.d.manifest.monitors) {
      const missing = locationsOf(m).filter((l) => unserved.includes(l));
      if (missing.length > 0) notes.set(m.id, `not checked from ${missing.join(", ")}: no replica serves ${missing.length === 1 ? "that location" : "those locations"}`);
    }
    return notes;
  }

  private async heartbeat(): Promise<void> {
    try {
      const { owner, ownerSince, epoch, skewMs } = await this.registry.beat(this.d.clock.now(), this.d.clock.now);
      this.lastBeatOk = this.d.clock.now();
      this.lastError = null;
      this.warnOfSkew(skewMs);
      await this.judgeClock();
      if (!this.closing) this.takeTicks();
      // Owner since a later time than last seen: another manifest owned the schedules in between,
      // even if this replica missed the beats that said so (it was slow, Redis was away).
      const wasOwner = this.owner === this.d.manifest.hash && ownerSince === this.ownerSince;
      this.owner = owner;
      this.ownerSince = ownerSince;
      const lost = this.epoch !== null && epoch !== this.epoch;
      this.epoch = epoch;
      if (lost) {
        // The job schedulers went with the data: without them no replica would check anything again.
        this.m.lost.inc();
        this.d.logger.error(
          { prefix: this.o.prefix, redis: this.o.shownUrl },
          "Redis lost its data (restarted without persistence, flushed, or failed over to a copy without it): the schedules are restored, but alert state, queued notifications and delivery records are gone; alerts still failing page again under the same dedup key, alerts that recovered meanwhile are never resolved: look for open incidents at the vendors",
        );
        this.mustReconcile = true;
        // The hand-off queues' filing went too: filed again as they are used.
        this.filedHandoffs.clear();
        await this.fileOwnHandoffQueues();
      }
      if (!wasOwner && owner === this.d.manifest.hash) {
        this.d.logger.info({ manifest: owner }, "this replica's manifest now owns the schedules; reconciling them and rolling alerts out to it");
        this.mustReconcile = true;
        this.mustRollOut = true;
      }
      // Until a reconcile completes: one that fails (Redis still coming back) is tried again next beat.
      if (this.mustReconcile && owner === this.d.manifest.hash && this.offClock === 0) {
        await this.reconcile();
        this.mustReconcile = false;
      }
      // Alerts of monitors this manifest lacks (a rollback: the newer version added them) are
      // resolved, as at start-up; their schedules are gone, so nothing else would ever resolve them.
      if (this.mustRollOut && owner === this.d.manifest.hash && this.offClock === 0 && this.d.rollOut) {
        await this.d.rollOut();
        this.mustRollOut = false;
      } else if (owner !== this.d.manifest.hash) this.mustRollOut = false;
      if (!this.closing) await this.sweepQuorumTicks();
      if (!this.closing && owner === this.d.manifest.hash) await this.sweepHandoffQueues();
    } catch (error) {
      this.noteError(error);
    }
  }

  /** Owner only: one job scheduler per monitor and queue, and none for monitors the manifest lacks. */
  private async reconcile(): Promise<void> {
    // On Redis's clock: an owner whose clock is minutes ahead would start every schedule minutes from now.
    // Only past the warning's threshold: the skew read at a heartbeat includes the call's latency, and
    // a start moved by that noise past a tick's time would skip the tick.
    const skewMs = Math.abs(this.registry.skewMs) >= MAX_SKEW_MS ? this.registry.skewMs : 0;
    const now = this.d.clock.now() + skewMs;
    await this.resetSchedulesAhead(now);
    const wanted = new Map<string, Set<string>>();
    for (const m of this.d.manifest.monitors) {
      for (const name of queuesOf(m)) {
        const location = name === ANYWHERE_QUEUE ? null : name.slice(locationQueue("").length);
        await this.queue(name).upsertJobScheduler(m.id, repeatOf(m, this.d.spreadMs, now), {
          name: m.id,
          data: { monitorId: m.id, manifest: this.d.manifest.hash, spec: this.fingerprints.get(m.id)!, location },
          opts: { attempts: 2, backoff: { type: "fixed", delay: 1_000 }, removeOnComplete: { count: 1_000 }, removeOnFail: { count: 1_000 } },
        });
        (wanted.get(name) ?? wanted.set(name, new Set()).get(name)!).add(m.id);
      }
    }
    // Queues of earlier manifests (a location no monitor names any more) are remembered in Redis.
    const known = this.o.control;
    await known.sadd(`${this.o.prefix}:queues`, ...wanted.keys(), ANYWHERE_QUEUE);
    for (const name of await known.smembers(`${this.o.prefix}:queues`)) {
      const queue = this.queue(name);
      for (const scheduler of await queue.getJobSchedulers()) {
        const id = scheduler.key;
        if (!wanted.get(name)?.has(id)) {
          await queue.removeJobScheduler(id);
          this.d.logger.info({ monitorId: id, queue: name }, "schedule removed: the monitor left the manifest");
        }
      }
    }
  }

  /**
   * Removes the job schedulers whose next run a replica with a fast clock pushed ahead (before it
   * was kept from ticks, or while it ran alone), so that the upsert after this starts them again
   * at the monitor's next tick: BullMQ's upsert keeps a next run it finds, however far ahead.
   */
  private async resetSchedulesAhead(now: number): Promise<void> {
    const byQueue = new Map<string, MonitorSpec[]>();
    for (const m of this.d.manifest.monitors) for (const name of queuesOf(m)) (byQueue.get(name) ?? byQueue.set(name, []).get(name)!).push(m);
    for (const [name, monitors] of byQueue) {
      const next = new Map((await this.queue(name).getJobSchedulers()).map((s) => [s.key, s.next]));
      for (const m of monitors) {
        const at = next.get(m.id);
        if (typeof at !== "number" || !scheduledTooFarAhead(m, this.d.spreadMs, now, at, OFF_CLOCK_MS)) continue;
        await this.queue(name).removeJobScheduler(m.id);
        this.d.logger.warn(
          { monitorId: m.id, queue: name, next: new Date(at).toISOString() },
          "schedule started again: its next tick was further ahead than the monitor's schedule allows (a replica whose clock ran ahead scheduled it)",
        );
      }
    }
  }

  private async process(queueName: string, job: Job<TickJobData>, token: string | undefined): Promise<void> {
    this.active++;
    const id = claimId(queueName, job.id);
    // The job's lock was taken just now for lockMs: the claim lasts that long unless renewed.
    const held = { until: this.d.clock.now() + this.lockMs - CLAIM_MARGIN_MS };
    this.claims.set(id, held);
    try {
      await this.processTick(queueName, job, token, { heldUntil: () => held.until });
    } finally {
      this.claims.delete(id);
      this.active--;
    }
  }

  private extendClaims(queueName: string, jobIds: string[], until: number): void {
    for (const jobId of jobIds) {
      const held = this.claims.get(claimId(queueName, jobId));
      if (held) held.until = until;
    }
  }

  private async processTick(queueName: string, job: Job<TickJobData>, token: string | undefined, claim: TickClaim): Promise<void> {
    const data = job.data;
    const scheduledAt = data.scheduledAt ?? scheduledAtOf(job.id, job.timestamp);
    const mine = this.fingerprints.get(data.monitorId);
    if (mine !== data.spec && (await this.handOff(queueName, job, scheduledAt, mine))) return;
    if (job.attemptsMade > 0 || job.stalledCounter > 0) this.m.retried.inc({ queue: queueName });
    await this.slots.acquire();
    try {
      this.d.onLag(this.d.clock.now() - scheduledAt);
      this.m.checks.inc({ replica: this.registry.self.id, location: data.location ?? this.o.location });
      if (data.location === null) await this.d.run(data.monitorId, scheduledAt, claim);
      else await this.runAtLocation(data.monitorId, scheduledAt, data.location, claim);
    } finally {
      this.slots.release();
    }
  }

  /**
   * One location's share of a quorum tick: check, report the outcome under the tick's key; the
   * report that completes the set evaluates it. Every report files the tick under a deadline in
   * Redis: this replica's timer evaluates it then with whatever arrived (a location whose replicas
   * are down or slow counts as not failing), and so does every replica's heartbeat sweep, so a
   * replica that dies before its deadline or in the middle of an evaluation loses no tick.
   */
  private async runAtLocation(monitorId: string, scheduledAt: number, location: string, claim: TickClaim): Promise<void> {
    const monitor = this.d.manifest.monitors.find((m) => m.id === monitorId)!;
    const expected = locationsOf(monitor).length;
    const outcome = await this.d.check(monitorId, scheduledAt);
    const wait = deadlineOf(monitor) + QUORUM_GRACE_MS;
    const verdict = await this.reports.report(monitorId, scheduledAt, location, outcome, expected, wait, QUORUM_LEASE_MS);
    if (verdict.kind === "evaluate") {
      // The evaluation lease and the job's lock both keep others off this tick: the longer holds.
      const leased = this.d.clock.now() + QUORUM_LEASE_MS - CLAIM_MARGIN_MS;
      await this.d.evaluateLocations(monitorId, scheduledAt, verdict.outcomes, { heldUntil: () => Math.max(leased, claim.heldUntil()) });
      await this.reports.finish(monitorId, scheduledAt);
      return;
    }
    const timer = setTimeout(() => {
      this.deadlines.delete(timer);
      this.evaluateAtDeadline(monitor, scheduledAt).catch((error: unknown) => this.noteError(error));
    }, wait);
    this.deadlines.add(timer);
  }

  /** A quorum tick past its deadline: evaluated with the reports so far, unless done or under way elsewhere. */
  private async evaluateAtDeadline(monitor: MonitorSpec, scheduledAt: number): Promise<void> {
    const claimedAt = this.d.clock.now();
    const outcomes = await this.reports.claim(monitor.id, scheduledAt, QUORUM_LEASE_MS);
    if (!outcomes) return;
    const leased = claimedAt + QUORUM_LEASE_MS - CLAIM_MARGIN_MS;
    const missing = locationsOf(monitor).filter((l) => !(l in outcomes));
    if (missing.length > 0) this.d.logger.warn({ monitorId: monitor.id, scheduledAt: new Date(scheduledAt).toISOString(), missing }, "quorum tick evaluated at its deadline without every location's report");
    await this.d.evaluateLocations(monitor.id, scheduledAt, outcomes, { heldUntil: () => leased });
    await this.reports.finish(monitor.id, scheduledAt);
  }

  /** Every heartbeat: quorum ticks past their deadline whose replica died (this manifest's monitors only). */
  private async sweepQuorumTicks(): Promise<void> {
    for (const tick of await this.reports.due()) {
      const monitor = this.d.manifest.monitors.find((m) => m.id === tick.monitorId);
      // Another manifest's monitor: its replicas sweep it (or it is forgotten with the reports' TTL).
      if (!monitor || locationsOf(monitor).length === 0) continue;
      await this.evaluateAtDeadline(monitor, tick.scheduledAt);
    }
  }

  /**
   * A tick scheduled by another manifest, for a monitor this replica lacks or defines differently
   * (a rollout in progress): it goes to the hand-off queue only replicas of that manifest read, and
   * true is returned. When no replica of that manifest is alive any more, this replica runs its own
   * definition if it has one (false), or drops the tick, logged (true).
   */
  private async handOff(queueName: string, job: Job<TickJobData>, scheduledAt: number, mine: string | undefined): Promise<boolean> {
    const data = job.data;
    const reason = mine === undefined ? "monitor not in this replica's manifest" : "monitor defined differently in this replica's manifest";
    // A location's tick needs a replica of that manifest in that location: a deploy rolled out one
    // region at a time has the new version running elsewhere only, and the hand-off queue of this
    // location would hold the tick with nobody to read it (the location's checks stop).
    const now = this.d.clock.now();
    const served = data.location === null ? await this.registry.manifestAlive(data.manifest, now) : await this.registry.manifestServes(data.manifest, data.location, now);
    if (!served) {
      if (mine !== undefined) return false;
      this.m.left.inc({ reason: "dropped" });
      this.d.logger.warn({ monitorId: data.monitorId, jobManifest: data.manifest, manifest: this.d.manifest.hash, location: data.location }, "tick dropped: the monitor is not in this manifest and no replica of the manifest that scheduled it is alive (in the tick's location)");
      return true;
    }
    const base = queueName.includes("--m-") ? queueName.slice(0, queueName.indexOf("--m-")) : queueName;
    const target = handoffQueue(base, data.manifest);
    // Filed with its manifest, so that the queue goes once no replica runs that manifest (sweepHandoffQueues).
    if (!this.filedHandoffs.has(target)) {
      await this.o.control.hset(this.handoffsKey(), target, data.manifest);
      this.filedHandoffs.add(target);
    }
    await this.queue(target).add(data.monitorId, { ...data, scheduledAt }, {
      jobId: `${data.monitorId}-${data.location ?? "any"}-${scheduledAt}`,
      attempts: 2,
      backoff: { type: "fixed", delay: 1_000 },
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 1_000 },
    });
    this.m.left.inc({ reason: "handed-off" });
    this.logOnce(`${data.monitorId}\n${reason}`, () =>
      this.d.logger.info({ monitorId: data.monitorId, jobManifest: data.manifest, manifest: this.d.manifest.hash, reason }, "tick handed to the replicas of the manifest that scheduled it"),
    );
    return true;
  }

  /**
   * Owner only, every beat: removes the hand-off queues of manifests no live replica runs. Each
   * rollout that changes a monitor makes one, and BullMQ keeps a thousand finished jobs and ten
   * thousand events in each: left alone, years of deploys fill a Redis that may not evict. A tick
   * still waiting in such a queue had no replica to run it anyway.
   */
  private async sweepHandoffQueues(): Promise<void> {
    const filed = await this.o.control.hgetall(this.handoffsKey());
    for (const [name, manifest] of Object.entries(filed)) {
      if (manifest === this.d.manifest.hash || (await this.registry.manifestAlive(manifest, this.d.clock.now()))) {
        // An obliterate pauses the queue first: one cut short (Redis went away) before its manifest
        // came back must not leave that manifest's replicas a queue they never take from.
        if (manifest !== this.d.manifest.hash && (await this.queue(name).isPaused())) await this.queue(name).resume();
        continue;
      }
      await this.queue(name).obliterate({ force: true });
      await this.queues.get(name)?.close().catch(() => undefined);
      this.queues.delete(name);
      this.filedHandoffs.delete(name);
      await this.o.control.hdel(this.handoffsKey(), name);
      this.d.logger.info({ queue: name, manifest }, "hand-off queue removed: no replica runs its manifest any more");
    }
  }

  /** The hand-off queues this replica's workers read. */
  private ownHandoffQueues(): string[] {
    return [ANYWHERE_QUEUE, locationQueue(this.o.location)].map((q) => handoffQueue(q, this.d.manifest.hash));
  }

  /** A worker leaves keys in its queue even when nothing is handed to it: filed, so they go with the manifest. */
  private async fileOwnHandoffQueues(): Promise<void> {
    await this.o.control.hset(this.handoffsKey(), ...this.ownHandoffQueues().flatMap((q) => [q, this.d.manifest.hash]));
  }

  private handoffsKey(): string {
    return `${this.o.prefix}:handoff-queues`;
  }

  private queue(name: string): Queue<TickJobData> {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue<TickJobData>(name, {
        connection: { ...schedulerConnection(this.o.redis), enableOfflineQueue: false },
        prefix: this.bullPrefix(),
        settings: { repeatStrategy: cronStrategy(this.d.spreadMs) },
      });
      q.on("error", (error) => this.noteError(error));
      this.queues.set(name, q);
    }
    return q;
  }

  private bullPrefix(): string {
    return `${this.o.prefix}:bull`;
  }

  private noteError(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    this.logOnce(`error\n${this.lastError}`, () => this.d.logger.warn({ err: this.lastError }, "Redis error in the scale-out scheduler"));
  }

  /** At most one line a minute per key: an outage or a rollout must not flood the log. */
  private logOnce(key: string, log: () => void): void {
    const now = Date.now();
    if ((this.logged.get(key) ?? 0) > now - 60_000) return;
    this.logged.set(key, now);
    if (this.logged.size > 1_000) this.logged.clear();
    log();
  }
}

/**
 * A claim ends this much before its lock's nominal expiry: the lock was set a round trip before
 * this replica heard of it, and a write sent at the last moment must still land inside it.
 */
const CLAIM_MARGIN_MS = 1_000;

function claimId(queueName: string, jobId: string | undefined): string {
  return `${queueName}\n${jobId ?? ""}`;
}

/** What /readyz and the log say about a replica whose clock is off the reference. */
function offClockReason(offMs: number): string {
  const seconds = Math.round(Math.abs(offMs) / 1000);
  return `this replica's clock is ${seconds} s ${offMs > 0 ? "ahead of" : "behind"} Redis's and the other replicas': it takes no ticks until they agree (BullMQ would run and schedule every monitor's ticks on it)`;
}

/** A clock further off Redis's than this is warned about. */
const MAX_SKEW_MS = 2_000;

/** How long /readyz waits for Redis before it answers that Redis does not answer. */
const READINESS_TIMEOUT_MS = 2_000;

/** How long close() waits for BullMQ before dropping its connections. */
const CLOSE_TIMEOUT_MS = 5_000;

/** A counting semaphore: the per-replica concurrency limit shared by the replica's workers. */
class Semaphore {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export type { MonitorSpec };

/**
 * The connection options of the scheduler's BullMQ workers and queues: the replica's Redis, with
 * reconnection every second at most (BullMQ's default waits up to 20 s between attempts, so ticks
 * resumed up to 20 s after a long outage had ended).
 */
export function schedulerConnection(redis: RedisOptions): RedisOptions {
  return { ...redis, retryStrategy: reconnectDelay };
}

/** How often a stop looks whether nothing is running while Redis is away. */
const IDLE_POLL_MS = 100;

