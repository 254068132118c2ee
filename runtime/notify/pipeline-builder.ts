import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../alerts/intent.js";
import type { BackoffPolicy } from "./backoff.js";
import type { DeliveryStorePort, SecretSource } from "./contract.js";
import type { Destinations } from "./destinations.js";
import type { DeliveryMetrics } from "./metrics.js";
import { inOrder, route, type Stage } from "./pipeline.js";
import type { RateGate } from "./rate-limiter.js";
import type { KeyFile } from "./routing-keys.js";
import type { Silences } from "./silences.js";
import { dedupStage } from "./stages/dedup-stage.js";
import { groupStage } from "./stages/group-stage.js";
import { inhibitStage } from "./stages/inhibit-stage.js";
import { recordStage } from "./stages/record-stage.js";
import { retryStage } from "./stages/retry-stage.js";
import { routeStage } from "./stages/route-stage.js";
import { silenceStage } from "./stages/silence-stage.js";
import { destinationKind, type MessageContext, type NotifierKind } from "./types.js";
import type { Logger } from "pino";
import { monitorsById } from "../monitors-by-id.js";

/** What the pipelines are built from; the stages themselves know nothing of each other. */
export interface PipelineParts {
  manifest: Manifest;
  store: DeliveryStorePort;
  silences: Silences;
  destinations: Destinations;
  routingKeys: KeyFile;
  secrets: SecretSource;
  metrics: DeliveryMetrics;
  /** Per-destination rate limits (in-process, or shared through Redis). */
  limiter: RateGate;
  policy: BackoffPolicy;
  random: () => number;
  sendTimeoutMs: number;
  clock: () => number;
  stopSignal: AbortSignal;
  logger: Logger;
}

/** Outbox intent -> per-destination deliveries: route, silence, inhibit, group. */
export function buildDispatchPipeline(p: PipelineParts): Stage {
  return inOrder(routeStage(p.manifest, p.store), silenceStage(p.manifest, p.silences), inhibitStage(p.manifest, p.store), groupStage());
}

/** Due delivery -> vendor: dedup, retry (one notifier per channel kind), record. */
export function buildSendPipeline(p: PipelineParts): Stage {
  const monitors = monitorsById(p.manifest);
  const secretValues = () => [
    ...p.manifest.secrets.flatMap((name) => {
      const value = p.secrets.get(name);
      return value ? [value] : [];
    }),
    ...p.routingKeys.all(),
    ...p.destinations.knownRoutingKeys(),
  ];
  const retry = retryStage({
    notifierFor: (d) => p.destinations.notifier(d),
    messageFor: (intent: NotificationIntent): MessageContext => ({ manifest: p.manifest, monitor: monitors.get(intent.monitorId) ?? null }),
    secret: (name) => p.secrets.get(name),
    secretValues,
    log: p.store,
    limiter: p.limiter,
    ratePerMinute: (d) => p.destinations.ratePerMinute(d),
    policy: p.policy,
    random: p.random,
    sendTimeoutMs: p.sendTimeoutMs,
    clock: p.clock,
    stopSignal: p.stopSignal,
    logger: p.logger,
  });
  const kinds: NotifierKind[] = ["pagerduty", "pagerdutyService", "pagerdutyIncident", "opsgenie", "slack", "email", "webhook"];
  return inOrder(
    dedupStage(p.manifest, p.store),
    route((item) => destinationKind(item.destination), Object.fromEntries(kinds.map((k) => [k, retry]))),
    recordStage(p.store, (item) => p.metrics.observe(item, item.notBefore, p.clock())),
  );
}
