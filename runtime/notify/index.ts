import { runtimeSettingsOf, type DiagnosticSpec, type MonitorSpec } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { registerEmergencyRoutes, type Diagnose } from "../emergency/emergency-route.js";
import { durationMs } from "../../sdk/duration.js";
import { apiAccessOf, guardRead } from "../http/api-auth.js";
import { sendJson, type Router } from "../http/router.js";
import { pagerDutyWebhookHandler } from "../webhooks/pagerduty-webhook.js";
import { uptimeWebhookHandler } from "../webhooks/uptime-webhook.js";
import { replayWindowMs } from "../webhooks/event-age.js";
import { WebhookIds } from "../webhooks/webhook-ids.js";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import type { DeliveryDeps, DeliveryService } from "./contract.js";
import { DEFAULT_PAGERDUTY_API_URL, DEFAULT_PAGERDUTY_EVENTS_URL, Destinations } from "./destinations.js";
import { Dispatcher } from "./dispatcher.js";
import { deliveryMetrics } from "./metrics.js";
import { inOrder, route } from "./pipeline.js";
import { RateLimiter } from "./rate-limiter.js";
import { DEFAULT_ROUTING_KEYS_FILE, KeyFile } from "./routing-keys.js";
import { registerSilenceRoutes } from "./silences-api.js";
import { dedupStage } from "./stages/dedup-stage.js";
import { groupStage } from "./stages/group-stage.js";
import { inhibitStage } from "./stages/inhibit-stage.js";
import { recordStage } from "./stages/record-stage.js";
import { retryStage } from "./stages/retry-stage.js";
import { routeStage } from "./stages/route-stage.js";
import { silenceStage } from "./stages/silence-stage.js";
import { DeliveryStore } from "./store/delivery-store.js";
import { SilenceStore } from "./store/silence-store.js";
import { destinationKind, type MessageContext, type NotifierKind } from "./types.js";
import { Worker } from "./worker.js";

export type { DeliveryDeps, DeliveryService } from "./contract.js";

/** Tuning that tests and benchmarks change; production uses the defaults and the environment. */
export interface DeliveryOptions {
  /** How often the outbox is polled for new intents (ms). Default 10: a cheap indexed query. */
  pollMs?: number;
  /** Concurrent sends per destination. Default 4. */
  maxPerDestination?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Timeout of one HTTP attempt (ms). Default 10 000. */
  sendTimeoutMs?: number;
  /** Environment for base URLs and file locations. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Runs diagnostics for the emergency page; default: none attached. */
  diagnose?: Diagnose;
  /** Emergency form posts per client per minute. Default 5. */
  emergencyAttemptsPerMinute?: number;
}

/** Turns `runDiagnostics(specs, { now, signal })` into the emergency page's Diagnose. */
export function diagnoseWith(run: (specs: DiagnosticSpec[], opts: { now: Date; signal: AbortSignal }) => Promise<{ text: string }>): Diagnose {
  return async (monitor: MonitorSpec, now: number, signal: AbortSignal) => (await run(monitor.diagnostics, { now: new Date(now), signal })).text;
}

/**
 * The notification pipeline as the runtime drives it: a dispatcher moves outbox intents into
 * durable per-destination deliveries (route, silence, inhibit, group), and workers send due
 * deliveries (dedup, retry, record) in the background, so sending never blocks checks.
 */
export function createDelivery(deps: DeliveryDeps, options: DeliveryOptions = {}): DeliveryService {
  const env = options.env ?? process.env;
  const logger = deps.logger;
  const store = new DeliveryStore(deps.db);
  const silences = new SilenceStore(deps.db, deps.manifest);
  const routingKeys = new KeyFile(env["WK_ROUTING_KEYS_FILE"] || DEFAULT_ROUTING_KEYS_FILE);
  const destinations = new Destinations(deps.manifest, {
    pagerDutyEventsUrl: env["WK_PAGERDUTY_EVENTS_URL"] || DEFAULT_PAGERDUTY_EVENTS_URL,
    pagerDutyApiUrl: env["WK_PAGERDUTY_API_URL"] || DEFAULT_PAGERDUTY_API_URL,
    routingKeys,
    serviceIds: new KeyFile(env["WK_PAGERDUTY_SERVICE_IDS_FILE"] || ".watchkeeper/service-ids.json"),
    smtpTimeoutMs: Number(env["WK_SMTP_TIMEOUT_MS"]) || 120_000,
  });
  const metrics = deliveryMetrics(deps.registry, store);
  const monitors = new Map(deps.manifest.monitors.map((m) => [m.id, m]));
  const stop = new AbortController();
  const secretValues = () => [
    ...deps.manifest.secrets.flatMap((name) => {
      const value = deps.secrets.get(name);
      return value ? [value] : [];
    }),
    ...routingKeys.all(),
  ];

  const dispatchPipeline = inOrder(
    routeStage(deps.manifest),
    silenceStage(deps.manifest, silences),
    inhibitStage(deps.manifest, store),
    groupStage(),
  );
  const retry = retryStage({
    notifierFor: (d) => destinations.notifier(d),
    messageFor: (intent: NotificationIntent): MessageContext => ({ manifest: deps.manifest, monitor: monitors.get(intent.monitorId) ?? null }),
    secret: (name) => deps.secrets.get(name),
    secretValues,
    log: store,
    limiter: new RateLimiter(),
    ratePerMinute: (d) => destinations.ratePerMinute(d),
    policy: { ...DEFAULT_BACKOFF, ...options.backoff },
    random: options.random ?? Math.random,
    sendTimeoutMs: options.sendTimeoutMs ?? 10_000,
    clock: deps.clock,
    stopSignal: stop.signal,
    logger,
  });
  const kinds: NotifierKind[] = ["pagerduty", "pagerdutyService", "pagerdutyIncident", "opsgenie", "slack", "email", "webhook"];
  const sendPipeline = inOrder(
    dedupStage(deps.manifest, store),
    route((item) => destinationKind(item.destination), Object.fromEntries(kinds.map((k) => [k, retry]))),
    recordStage(store, (item) => metrics.observe(item, item.notBefore, deps.clock())),
  );

  const dispatcher = new Dispatcher(deps.outbox, store, dispatchPipeline, logger, deps.clock);
  const worker = new Worker(store, destinations, sendPipeline, logger, deps.clock, {
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
        worker.scan();
        const next = store.nextDueAt();
        if (worker.busy() === 0 && (next === null || next > deps.clock())) break;
        await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - deps.clock()))));
      }
      stop.abort(new Error("delivery stopping"));
      await worker.stop();
      destinations.close();
    },
    registerRoutes(router: Router) {
      const secret = (name: string) => deps.secrets.get(name);
      const webhookMaxAgeMs = durationMs(runtimeSettingsOf(deps.manifest).webhookMaxAge);
      router.add(
        "POST",
        "/webhooks/pagerduty",
        pagerDutyWebhookHandler({ alerts: deps.alerts, ids: new WebhookIds(deps.db, replayWindowMs(webhookMaxAgeMs)), secret, logger, clock: deps.clock, maxAgeMs: webhookMaxAgeMs }),
      );
      router.add("POST", "/webhooks/uptime/:monitor", uptimeWebhookHandler({ manifest: deps.manifest, inbound: deps.inbound, secret, logger, clock: deps.clock }));
      registerEmergencyRoutes(router, {
        manifest: deps.manifest,
        outbox: deps.outbox,
        inbound: deps.inbound,
        secret,
        diagnose: options.diagnose ?? (async () => ""),
        logger,
        clock: deps.clock,
        attemptsPerMinute: options.emergencyAttemptsPerMinute ?? 5,
        diagnosticsTimeoutMs: Number(env["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS"]) || 8_000,
        trustProxy: env["WK_TRUST_PROXY"] === "1",
        publicUrl: deps.manifest.settings.publicUrl,
      });
      const access = apiAccessOf(deps.manifest, secret);
      const { maxSilence } = runtimeSettingsOf(deps.manifest);
      registerSilenceRoutes(router, { silences, clock: deps.clock, access, maxSilence, maxSilenceMs: durationMs(maxSilence), logger });
      router.add("GET", "/api/deliveries", guardRead(access, (req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const key = url.searchParams.get("dedupKey");
        sendJson(res, 200, { deliveries: key ? store.forAlert(key) : store.recent(100) });
      }));
    },
  };
}
