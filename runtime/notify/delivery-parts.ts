import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import type { DeliveryDeps } from "./contract.js";
import { Destinations } from "./destinations.js";
import { deliveryMetrics } from "./metrics.js";
import type { PipelineParts } from "./pipeline-builder.js";
import type { RateGate } from "./rate-limiter.js";
import { KeyFile } from "./routing-keys.js";
import { DEFAULT_DELIVERY_SETTINGS, type DeliverySettings } from "./settings.js";
import { Silences } from "./silences.js";

/** Tuning shared by both delivery modes; production uses the defaults and the settings `wk run` reads. */
export interface SendTuning {
  /** Base URLs and file locations; the command reads them from the environment. Defaults: the vendors'. */
  settings?: Partial<DeliverySettings>;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Timeout of one HTTP attempt (ms). Default 10 000. */
  sendTimeoutMs?: number;
}

/** What both delivery modes build their pipelines from; `stop` aborts in-flight sends. */
export function deliveryParts(deps: DeliveryDeps, tuning: SendTuning, limiter: RateGate): { parts: PipelineParts; stop: AbortController } {
  const settings: DeliverySettings = { ...DEFAULT_DELIVERY_SETTINGS, ...tuning.settings };
  // What turns bad while running is logged by name and reason, never with the file's content.
  const routingKeys = new KeyFile(settings.routingKeysFile, (problem) => deps.logger.warn({ file: settings.routingKeysFile }, `routing keys file ${problem}`));
  const serviceIds = new KeyFile(settings.serviceIdsFile, (problem) => deps.logger.warn({ file: settings.serviceIdsFile }, `PagerDuty service IDs file ${problem}`));
  const destinations = new Destinations(deps.manifest, {
    pagerDutyEventsUrl: settings.pagerDutyEventsUrl,
    pagerDutyApiUrl: settings.pagerDutyApiUrl,
    routingKeys,
    serviceIds,
    smtpTimeoutMs: settings.smtpTimeoutMs,
  });
  const stop = new AbortController();
  const parts: PipelineParts = {
    manifest: deps.manifest,
    store: deps.store,
    silences: new Silences(deps.store, deps.manifest),
    destinations,
    routingKeys,
    secrets: deps.secrets,
    metrics: deliveryMetrics(deps.registry, deps.store),
    limiter,
    policy: { ...DEFAULT_BACKOFF, ...tuning.backoff },
    random: tuning.random ?? Math.random,
    sendTimeoutMs: tuning.sendTimeoutMs ?? 10_000,
    clock: deps.clock,
    stopSignal: stop.signal,
    logger: deps.logger,
  };
  return { parts, stop };
}
