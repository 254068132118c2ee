import { DelayedError, Queue, UnrecoverableError, Worker as QueueWorker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { abandonBullmq, settlesWithin, whenTrue } from "../scale-out/bullmq-abandon.js";
import type { Router } from "../http/router.js";
import type { SignedOutSessions } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import type { DeliveryDeps, DeliveryService } from "./contract.js";
import type { DeliveryLanes, LaneHead } from "./delivery-lanes.js";
import { deliveryParts, type SendTuning } from "./delivery-parts.js";
import type { DeliveryRow } from "./delivery-queue.js";
import { registerDeliveryRoutes } from "./delivery-routes.js";
import { Dispatcher } from "./dispatcher.js";
import { foreignWork } from "./foreign-work.js";
import { RedisAlignedClock } from "./redis-aligned-clock.js";
import { buildDispatchPipeline, buildSendPipeline } from "./pipeline-builder.js";
import type { RateGate } from "./rate-limiter.js";
import { sendDelivery } from "./send-delivery.js";
import { DEFAULT_DELIVERY_SETTINGS } from "./settings.js";

/** The BullMQ queue's name; with the prefix its keys are `${prefix}:deliveries:*`. */
export const DELIVERY_QUEUE = "deliveries";

/** Retrying stops when the retry stage gives up (24 h by default), not after a count. */
const UNBOUNDED_ATTEMPTS = 1_000_000;

/** Scale-out delivery: the shared Redis, the store's lanes and the shared rate limits. */
export interface QueuedDeliveryOptions extends SendTuning {
  /** redis://[:password@]host:port/db, the replicas' shared Redis (never logged). */
  redisUrl: string;
  /** The replicas' key prefix (the store's, `wk` by default). */
  prefix: string;
  /** The store's lane operations (RedisStore). */
  lanes: DeliveryLanes;
  /** Per-destination limits shared by every replica (RedisRateGate). */
  limiter: RateGate;
  /** How often this replica looks at the outbox (ms). Default 50. */
  pollMs?: number;
  /** Delivery jobs this replica runs at once. Default 16. */
  concurrency?: number;
  /** Of those, at most this many to one destination, so a slow vendor holds only its own slots. Default 4. */
  maxPerDestination?: number;
  /**
   * How long a started send belongs to this replica; after a crash another replica sends it then.
   * Default: the send's own timeout (SMTP's for email, the HTTP timeout otherwise) plus the
   * settings' lease margin (30 s, WK_DELIVERY_LEASE_MARGIN_MS), so a live replica's send always ends
   * first and a dead one's is resent within about a minute.
   */
  leaseMs?: number;
  /** BullMQ lock of a running job, renewed at half of it while the replica lives. Default 10 s. */
  lockMs?: number;
  /** How often this replica looks for jobs whose replica died (BullMQ's stalled check). Default 5 s. */
  stalledIntervalMs?: number;
  /** How often this replica looks for due lane heads that have no job (a replica died between two writes). Default 5 s. */
  sweepMs?: number;
  /** A head counts as jobless once it has been due this long. Default 10 s. */
  sweepGraceMs?: number;
  /** How long work for a monitor or destination this manifest lacks is left to replicas that know it (foreign-work.ts; tests shorten it). */
  foreignWaitMs?: number;
}

interface DeliveryJob {
  deliveryId: number;
}

/** A retryable failure: BullMQ's backoff strategy reads the time the retry stage chose (Retry-After honoured). */
class RetryLater extends Error {
  constructor(
    readonly at: number,
    reason: string,
  ) {
    super(reason);
    this.name = "RetryLater";
  }
}

/** Job ids are the delivery ids (BullMQ refuses integer ids), so a second add of one is a no-op. */
export function deliveryJobId(deliveryId: number): string {
  return `delivery-${deliveryId}`;
}

/**
 * Notification delivery for scale-out replicas, as BullMQ jobs. Every replica polls the outbox;
 * the store's `dispatchIntent` records each intent exactly once, and the replica that recorded it
 * adds one job per delivery that became the head of its (dedup key, destination) lane. A job
 * claims its delivery in the store (so a stalled job run twice never sends twice), sends it
 * through the same stages as the embedded mode (dedup, retry, record), and then adds the job of
 * the lane's next delivery, so a resolve never overtakes its trigger. A retryable failure is a
 * BullMQ retry whose backoff is the retry stage's delay (Retry-After honoured); a rate limit or a
 * missing secret moves the job to delayed without counting an attempt; a failure that is not
 * retryable fails the job. A sweep re-adds jobs for due heads that have none.
 */
/** How soon a delivery left to a replica that knows it is offered again. */
const FOREIGN_RETRY_MS = 1_000;

export function createQueuedDelivery(deps: DeliveryDeps, options: QueuedDeliveryOptions): DeliveryService {
  const { logger, store } = deps;
  // Every time the delivery side writes or judges is on Redis's clock (redis-aligned-clock.ts).
  const aligned = new RedisAlignedClock(deps.clock);
  const clock = aligned.now;
  const { parts, stop: abort } = deliveryParts({ ...deps, clock }, options, options.limiter);
  const lanes = options.lanes;
  const sendPipeline = buildSendPipeline(parts);
  const foreign = foreignWork(deps.manifest, (id) => parts.destinations.get(id) !== null, options.foreignWaitMs);
  const maxPerDestination = options.maxPerDestination ?? 4;
  const leaseOf = (destinationId: string): number => {
    if (options.leaseMs !== undefined) return options.leaseMs;
    const destination = parts.destinations.get(destinationId);
    const email = destination?.kind === "channel" && destination.channel.kind === "email";
    // Beyond the send's own timeout: the time to record its outcome after the vendor answered.
    const margin = options.settings?.deliveryLeaseMarginMs ?? DEFAULT_DELIVERY_SETTINGS.deliveryLeaseMarginMs;
    return (email ? (options.settings?.smtpTimeoutMs ?? DEFAULT_DELIVERY_SETTINGS.smtpTimeoutMs) : parts.sendTimeoutMs) + margin;
  };
  const sweepGraceMs = options.sweepGraceMs ?? 10_000;
  const connect = () => {
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    // Commands wait for the reconnect (maxRetriesPerRequest: null); say once that Redis went away, not per retry.
    let down = false;
    connection.on("error", (error: Error) => {
      if (!down) logger.warn({ err: { message: error.message } }, "delivery lost its Redis connection; reconnecting");
      down = true;
    });
    connection.on("ready", () => (down = false));
    return connection;
  };
  const queueConnection = connect();
  const workerConnection = connect();
  const queue = new Queue<DeliveryJob>(DELIVERY_QUEUE, {
    connection: queueConnection,
    prefix: options.prefix,
    defaultJobOptions: { attempts: UNBOUNDED_ATTEMPTS, backoff: { type: "vendor" }, removeOnComplete: true, removeOnFail: true },
  });
  // BullMQ reports every failed reconnect: one line a minute per message, not one a second.
  const errorLogged = new Map<string, number>();
  const logError = (error: Error, message: string) => {
    const key = `${message}\n${error.message}`;
    const now = Date.now();
    if ((errorLogged.get(key) ?? 0) > now - 60_000) return;
    if (errorLogged.size > 100) errorLogged.clear();
    errorLogged.set(key, now);
    logger.error({ err: { message: error.message } }, message);
  };
  queue.on("error", (error) => logError(error, "delivery queue error"));

  const addJobs = async (heads: LaneHead[]): Promise<void> => {
    if (heads.length === 0) return;
    const now = clock();
    await queue.addBulk(heads.map((h) => ({ name: "deliver", data: { deliveryId: h.id }, opts: { jobId: deliveryJobId(h.id), delay: Math.max(0, h.due - now) } })));
  };

  const dispatcher = new Dispatcher(
    store,
    {
      async dispatchIntent(stored, deliveries, now) {
        const heads = await lanes.dispatchIntentHeads(stored, deliveries, now);
        if (heads === null) return false;
        // Recorded: a failure to add the jobs now is repaired by the sweep, never by dispatching again.
        await addJobs(heads).catch((error: unknown) => logger.error({ err: error }, "adding delivery jobs failed; the sweep adds them"));
        return true;
      },
    },
    buildDispatchPipeline(parts),
    logger,
    clock,
    foreign,
  );

  const sending = new Map<string, number>();
  const logLeft = (reason: string) => {
    const key = `left\n${reason}`;
    const now = Date.now();
    if ((errorLogged.get(key) ?? 0) > now - 60_000) return;
    errorLogged.set(key, now);
    logger.info({ reason }, "delivery left to a replica whose manifest knows it (a rollout in progress?)");
  };
  const delay = async (job: Job<DeliveryJob>, token: string | undefined, at: number): Promise<never> => {
    // BullMQ promotes delayed jobs by the process's own clock: it is told how long from now.
    await job.moveToDelayed(Date.now() + Math.max(1, at - clock()), token);
    throw new DelayedError();
  };
  const next = async (row: DeliveryRow): Promise<void> => {
    const head = await lanes.laneHead(row.intent.dedupKey, row.destination);
    if (head) await addJobs([head]);
  };

  const process = async (job: Job<DeliveryJob>, token?: string): Promise<string> => {
    const id = job.data.deliveryId;
    const state = await lanes.deliveryState(id);
    if (!state || state.status !== "pending") return "finished";
    // Not a head: the lane's current head adds this job again when it finishes.
    if (!state.head) return "behind its lane";
    const now = clock();
    const notBefore = Math.max(state.row.nextAttemptAt, state.claimedUntil ?? 0);
    if (notBefore > now) return delay(job, token, notBefore);
    const destination = state.row.destination;
    const why = foreign.whyForeign(state.row.intent, destination);
    if (why !== null && foreign.stillLeft(state.row.firstDueAt, now)) {
      // Back to delayed for any replica to take: one whose manifest knows it sends it as that says.
      logLeft(why);
      return delay(job, token, now + FOREIGN_RETRY_MS);
    }
    if ((sending.get(destination) ?? 0) >= maxPerDestination) return delay(job, token, now + 100);
    const won = await store.claim([id], now, leaseOf(destination));
    if (won.length === 0) return delay(job, token, now + 1_000);
    sending.set(destination, (sending.get(destination) ?? 0) + 1);
    let result;
    try {
      result = await sendDelivery(state.row, { store, destinations: parts.destinations, pipeline: sendPipeline, logger, clock });
    } finally {
      sending.set(destination, (sending.get(destination) ?? 1) - 1);
    }
    switch (result.kind) {
      case "sent":
      case "skipped":
        await next(state.row);
        return result.kind;
      case "failed":
        await next(state.row);
        throw new UnrecoverableError(result.reason);
      case "retry":
        throw new RetryLater(result.at, result.reason);
      case "deferred":
        return delay(job, token, result.at);
    }
  };

  // Sends under way in this replica: a stop with Redis gone need not wait for BullMQ once there are none.
  let active = 0;
  const counted = async (job: Parameters<typeof process>[0], token: Parameters<typeof process>[1]) => {
    active++;
    try {
      return await process(job, token);
    } finally {
      active--;
    }
  };
  const worker = new QueueWorker<DeliveryJob, string>(DELIVERY_QUEUE, counted, {
    connection: workerConnection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 16,
    autorun: false,
    // A job whose replica died is run again elsewhere; the store's claim keeps it from being sent twice.
    maxStalledCount: 1_000,
    lockDuration: options.lockMs ?? 10_000,
    stalledInterval: options.stalledIntervalMs ?? 5_000,
    settings: { backoffStrategy: (_attempts, _type, error) => (error instanceof RetryLater ? Math.max(0, error.at - clock()) : 5_000) },
  });
  worker.on("error", (error) => logError(error, "delivery worker error"));

  const pollMs = options.pollMs ?? 50;
  const sweepMs = options.sweepMs ?? 5_000;
  let pollTimer: NodeJS.Timeout | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let dispatching: Promise<void> = Promise.resolve();
  let running = false;
  let workerRun: Promise<void> = Promise.resolve();

  const dispatch = (): Promise<void> => {
    dispatching = dispatching.then(async () => {
      try {
        while ((await dispatcher.dispatchOnce(100)) === 100);
      } catch (error) {
        logError(error instanceof Error ? error : new Error(String(error)), "dispatching from the outbox failed");
      }
    });
    return dispatching;
  };
  const poll = () => {
    void dispatch().finally(() => {
      if (running) pollTimer = setTimeout(poll, pollMs);
    });
  };
  const sweep = async () => {
    try {
      await aligned.sync(queueConnection).catch((error: unknown) => logError(error as Error, "reading Redis's clock failed"));
      const heads = await store.dueHeads(clock() - sweepGraceMs, 200);
      await addJobs(heads.map((row) => ({ id: row.id, due: row.nextAttemptAt })));
    } catch (error) {
      logger.error({ err: error }, "looking for delivery heads without a job failed");
    } finally {
      if (running) sweepTimer = setTimeout(() => void sweep(), sweepMs);
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      void aligned.sync(queueConnection).catch((error: unknown) => logError(error as Error, "reading Redis's clock failed"));
      poll();
      sweepTimer = setTimeout(() => void sweep(), sweepMs);
      workerRun = worker.run().catch((error: unknown) => logger.error({ err: error }, "delivery worker stopped"));
    },
    async stop(timeoutMs: number) {
      running = false;
      if (pollTimer) clearTimeout(pollTimer);
      if (sweepTimer) clearTimeout(sweepTimer);
      // What was accepted goes into the queue; other replicas (or the next start) send it.
      await dispatch();
      const closing = worker.close();
      let timer: NodeJS.Timeout | undefined;
      // BullMQ's close waits for Redis; with Redis gone and nothing being sent there is nothing to wait for.
      const idleWithoutRedis = whenTrue(() => active === 0 && workerConnection.status !== "ready", 100);
      await Promise.race([closing, idleWithoutRedis.done, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      idleWithoutRedis.cancel();
      // Sends still under way are aborted: they stay pending and are retried.
      abort.abort(new Error("delivery stopping"));
      // BullMQ's close waits for Redis to be ready: with Redis gone or refusing the password it never
      // would, so after the drain time the connections are dropped and the replica exits.
      const closed = await settlesWithin(
        (async () => {
          await closing.catch((error: unknown) => logger.error({ err: error }, "closing the delivery worker failed"));
          await workerRun;
          await queue.close().catch(() => undefined);
        })(),
        // The worker had the drain time above; what is left of closing is quick when Redis answers.
        1_000,
      );
      if (!closed) logger.warn({ timeoutMs }, "the delivery queue did not close in time (Redis unreachable?); dropping its connections");
      for (const connection of [queueConnection, workerConnection]) {
        if (closed) await settlesWithin(connection.quit(), 1_000);
        connection.disconnect();
      }
      if (!closed) for (const part of [worker, queue]) abandonBullmq(part);
      parts.destinations.close();
    },
    pagerDutyServices: (monitorId: string) => parts.destinations.pagerDutyServicesOf(monitorId),
    secretValues: () => [...parts.routingKeys.all(), ...parts.destinations.knownRoutingKeys()],
    registerRoutes(router: Router, tokenGuesses?: TokenGuesses, signedOut?: SignedOutSessions) {
      registerDeliveryRoutes(router, { manifest: deps.manifest, secrets: deps.secrets, routingKeys: () => [...parts.routingKeys.all(), ...parts.destinations.knownRoutingKeys()], store, silences: parts.silences, clock, logger, ...(tokenGuesses ? { tokenGuesses } : {}), ...(signedOut ? { signedOut } : {}) });
    },
  };
}
