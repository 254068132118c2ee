import type { Database } from "better-sqlite3";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { AlertControl, OutboxReader, OutboxWriter } from "../alerts/intent.js";
import type { InboundEvents } from "../checks/types.js";
import type { Router } from "../http/router.js";

/** Where secret values come from at run time (environment, or files in a mounted folder). */
export interface SecretSource {
  get(name: string): string | undefined;
  /** Declared secrets that have no value right now. */
  missing(): string[];
}

/** Everything the delivery side receives from the runtime; nothing global. */
export interface DeliveryDeps {
  manifest: Manifest;
  /** The runtime's SQLite database; delivery keeps its own tables in it. */
  db: Database;
  outbox: OutboxReader & OutboxWriter;
  alerts: AlertControl;
  inbound: InboundEvents;
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
  /** Inbound routes: PagerDuty v3 webhooks, uptime-service webhooks, the emergency page. */
  registerRoutes(router: Router): void;
}

export type DeliveryFactory = (deps: DeliveryDeps) => DeliveryService;
