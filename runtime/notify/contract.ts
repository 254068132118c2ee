import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { OutboxReader } from "../alerts/intent.js";
import type { Router } from "../http/router.js";
import type { SignedOutSessions } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import type { DeliveryQueue } from "./delivery-queue.js";
import type { SilenceLog } from "./silences.js";
import type { NotifyLog } from "./stages/dedup-stage.js";
import type { FiringSource } from "./stages/inhibit-stage.js";

/** The store as the delivery side uses it: the outbox, deliveries, the notification log, silences. */
export type DeliveryStorePort = OutboxReader & DeliveryQueue & NotifyLog & FiringSource & SilenceLog;

/** Where secret values come from at run time (environment, or files in a mounted folder). */
export interface SecretSource {
  get(name: string): string | undefined;
  /** Declared secrets that have no value right now. */
  missing(): string[];
}

/** Everything the delivery side receives from the runtime; nothing global. */
export interface DeliveryDeps {
  manifest: Manifest;
  /** The runtime's store (SQLite embedded, Redis scale-out), through the ports delivery owns. */
  store: DeliveryStorePort;
  secrets: SecretSource;
  logger: Logger;
  /** Milliseconds since the epoch; the only clock delivery reads. */
  clock: () => number;
  registry: Registry;
}

/** The notification pipeline as the runtime drives it. */
export interface DeliveryService {
  /** Starts draining the outbox in the background; never blocks checks. */
  start(): void;
  /** Stops taking new work and flushes what can be sent within the timeout. */
  stop(timeoutMs: number): Promise<void>;
  /**
   * Delivery's own API routes: silences and `/api/deliveries`; wrong tokens count in `tokenGuesses`
   * with every other route's, and sessions in `signedOut` are refused as everywhere else.
   */
  registerRoutes(router: Router, tokenGuesses?: TokenGuesses, signedOut?: SignedOutSessions): void;
  /**
   * The PagerDuty service IDs (`P...`) this monitor's alerts page, as far as the runtime knows
   * them (the service IDs file `wk deploy` writes, a REST channel's service); empty when it knows
   * none (a channel with a bare routing key).
   */
  pagerDutyServices?(monitorId: string): ReadonlySet<string>;
  /**
   * Credentials delivery reads beside the secret source: the routing keys of the routing keys file
   * `wk deploy` writes, and those replaced since start. Never log this; the runtime redacts them.
   */
  secretValues?(): string[];
}

export type DeliveryFactory = (deps: DeliveryDeps) => DeliveryService;
