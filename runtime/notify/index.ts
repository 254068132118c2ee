import { runtimeSettingsOf } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { apiAccessOf, guardRead } from "../http/api-auth.js";
import { sendJson, type Router } from "../http/router.js";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import type { DeliveryDeps, DeliveryService } from "./contract.js";
import { Destinations } from "./destinations.js";
import { Dispatcher } from "./dispatcher.js";
import { deliveryMetrics } from "./metrics.js";
import { buildDispatchPipeline, buildSendPipeline, type PipelineParts } from "./pipeline-builder.js";
import { KeyFile } from "./routing-keys.js";
import { DEFAULT_DELIVERY_SETTINGS, type DeliverySettings } from "./settings.js";
import { registerSilenceRoutes } from "./silences-api.js";
import { Silences } from "./silences.js";
import { Worker } from "./worker.js";

export type { DeliveryDeps, DeliveryService } from "./contract.js";
export { deliverySettingsFromEnv, type DeliverySettings } from "./settings.js";

/** Tuning that tests and benchmarks change; production uses the defaults and the settings `wk run` reads. */
export interface DeliveryOptions {
  /** Base URLs and file locations; the command reads them from the environment. Defaults: the vendors'. */
  settings?: Partial<DeliverySettings>;
  /** How often the outbox is polled for new intents (ms). Default 10: a cheap indexed query. */
  pollMs?: number;
  /** Concurrent sends per destination. Default 4. */
  maxPerDestination?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Timeout of one HTTP attempt (ms). Default 10 000. */
  sendTimeoutMs?: number;
}

/**
 * The notification pipeline as the runtime drives it: a dispatcher moves outbox intents into
 * durable per-destination deliveries (the dispatch pipeline), and workers send due deliveries
 * (the send pipeline) in the background, so sending never blocks checks. Outbound only: inbound
 * routes live in runtime/inbound/.
 */
export function createDelivery(deps: DeliveryDeps, options: DeliveryOptions = {}): DeliveryService {
  const settings: DeliverySettings = { ...DEFAULT_DELIVERY_SETTINGS, ...options.settings };
  const logger = deps.logger;
  const store = deps.store;
  const silences = new Silences(store, deps.manifest);
  const routingKeys = new KeyFile(settings.routingKeysFile);
  const destinations = new Destinations(deps.manifest, {
    pagerDutyEventsUrl: settings.pagerDutyEventsUrl,
    pagerDutyApiUrl: settings.pagerDutyApiUrl,
    routingKeys,
    serviceIds: new KeyFile(settings.serviceIdsFile),
    smtpTimeoutMs: settings.smtpTimeoutMs,
  });
  const stop = new AbortController();
  const parts: PipelineParts = {
    manifest: deps.manifest,
    store,
    silences,
    destinations,
    routingKeys,
    secrets: deps.secrets,
    metrics: deliveryMetrics(deps.registry, store),
    policy: { ...DEFAULT_BACKOFF, ...options.backoff },
    random: options.random ?? Math.random,
    sendTimeoutMs: options.sendTimeoutMs ?? 10_000,
    clock: deps.clock,
    stopSignal: stop.signal,
    logger,
  };
  const dispatcher = new Dispatcher(store, store, buildDispatchPipeline(parts), logger, deps.clock);
  const worker = new Worker(store, destinations, buildSendPipeline(parts), logger, deps.clock, {
    maxPerDestination: options.maxPerDestination ?? 4,
    idleMs: 1_000,
  });
  const pollMs = options.pollMs ?? 10;
  let pollTimer: NodeJS.Timeout | null = null;
  let dispatching: Promise<void> = Promise.resolve();
  let running = false;

  const dispatch = (): Promise<void> => {
    dispatching = dispatching.then(async () => {
      try {
        let total = 0;
        let taken: number;
        do {
          taken = await dispatcher.dispatchOnce(100);
          total += taken;
        } while (taken === 100);
        if (total > 0) worker.kick();
      } catch (error) {
        logger.error({ err: error }, "dispatching from the outbox failed");
      }
    });
    return dispatching;
  };
  const poll = () => {
    void dispatch().finally(() => {
      if (running) pollTimer = setTimeout(poll, pollMs);
    });
  };

  return {
    start() {
      if (running) return;
      running = true;
      poll();
      worker.kick();
    },
    async stop(timeoutMs: number) {
      running = false;
      if (pollTimer) clearTimeout(pollTimer);
      const deadline = deps.clock() + timeoutMs;
      await dispatch();
      // Flush: keep sending what is due until nothing is due or in flight, or time is up.
      while (deps.clock() < deadline) {
        await worker.scan().catch((error: unknown) => logger.error({ err: error }, "flushing deliveries failed"));
        const next = await store.nextDueAt();
        if (worker.busy() === 0 && (next === null || next > deps.clock())) break;
        await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - deps.clock()))));
      }
      stop.abort(new Error("delivery stopping"));
      await worker.stop();
      destinations.close();
    },
    registerRoutes(router: Router) {
      const secret = (name: string) => deps.secrets.get(name);
      const access = apiAccessOf(deps.manifest, secret);
      const { maxSilence } = runtimeSettingsOf(deps.manifest);
      registerSilenceRoutes(router, { silences, clock: deps.clock, access, maxSilence, maxSilenceMs: durationMs(maxSilence), logger });
      router.add("GET", "/api/deliveries", guardRead(access, async (req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const key = url.searchParams.get("dedupKey");
        sendJson(res, 200, { deliveries: key ? await store.deliveriesForAlert(key) : await store.recentDeliveries(100) });
      }));
    },
  };
}
