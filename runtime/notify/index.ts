import type { Router } from "../http/router.js";
import type { SignedOutSessions } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import type { DeliveryDeps, DeliveryService } from "./contract.js";
import { deliveryParts, type SendTuning } from "./delivery-parts.js";
import { registerDeliveryRoutes } from "./delivery-routes.js";
import { Dispatcher } from "./dispatcher.js";
import { buildDispatchPipeline, buildSendPipeline } from "./pipeline-builder.js";
import { RateLimiter } from "./rate-limiter.js";
import { Worker } from "./worker.js";

export type { DeliveryDeps, DeliveryService } from "./contract.js";
export { deliverySettingsFromEnv, type DeliverySettings } from "./settings.js";

/** Tuning that tests and benchmarks change; production uses the defaults and the settings `wk run` reads. */
export interface DeliveryOptions extends SendTuning {
  /** How often the outbox is polled for new intents (ms). Default 10: a cheap indexed query. */
  pollMs?: number;
  /** Concurrent sends per destination. Default 4. */
  maxPerDestination?: number;
}

/**
 * The notification pipeline as the embedded runtime drives it: a dispatcher moves outbox intents
 * into durable per-destination deliveries (the dispatch pipeline), and workers send due deliveries
 * (the send pipeline) in the background, so sending never blocks checks. Outbound only: inbound
 * routes live in runtime/inbound/. Scale-out replicas use createQueuedDelivery (queued-delivery.ts, same stages;
 * imported from there, so an embedded runtime never loads BullMQ).
 */
export function createDelivery(deps: DeliveryDeps, options: DeliveryOptions = {}): DeliveryService {
  const logger = deps.logger;
  const store = deps.store;
  const { parts, stop } = deliveryParts(deps, options, new RateLimiter());
  const destinations = parts.destinations;
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
    pagerDutyServices: (monitorId: string) => parts.destinations.pagerDutyServicesOf(monitorId),
    secretValues: () => [...parts.routingKeys.all(), ...parts.destinations.knownRoutingKeys()],
    registerRoutes(router: Router, tokenGuesses?: TokenGuesses, signedOut?: SignedOutSessions) {
      registerDeliveryRoutes(router, { manifest: deps.manifest, secrets: deps.secrets, routingKeys: () => [...parts.routingKeys.all(), ...parts.destinations.knownRoutingKeys()], store, silences: parts.silences, clock: deps.clock, logger, ...(tokenGuesses ? { tokenGuesses } : {}), ...(signedOut ? { signedOut } : {}) });
    },
  };
}
