import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { AlertControl, ControlOutcome, IncidentRef, NotificationIntent } from "../../../runtime/alerts/intent.js";
import { createDelivery, deliverySettingsFromEnv, type DeliveryOptions } from "../../../runtime/notify/index.js";
import type { DeliveryRecord } from "../../../runtime/notify/delivery-queue.js";
import type { Diagnose } from "../../../runtime/inbound/emergency-route.js";
import { DEFAULT_INBOUND_SETTINGS, registerInboundRoutes } from "../../../runtime/inbound/routes.js";
import { replayWindowMs } from "../../../runtime/inbound/event-age.js";
import type { DeliveryService, SecretSource } from "../../../runtime/notify/contract.js";
import { SqliteStore } from "../../../runtime/store/sqlite/sqlite-store.js";
import { StoreAlertControl } from "../../../runtime/inbound/alert-control.js";
import { Router } from "../../../runtime/http/router.js";
import { closeServer, createHttpServer, listen } from "../../../runtime/server/http-server.js";

/** Log lines a test can search (secret canaries). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export function secretsOf(values: Record<string, string>): SecretSource {
  return {
    get: (name) => values[name],
    missing: () => [],
  };
}

/** AlertControl that records what inbound webhooks asked for. */
export class RecordingAlertControl implements AlertControl {
  readonly calls: { op: "acknowledge" | "resolve"; dedupKey: string; by?: string; at: number; incidentOpenedAt: number }[] = [];
  constructor(private readonly known: Set<string>) {}
  acknowledge(dedupKey: string, by: string, at: number, incident: IncidentRef): ControlOutcome {
    this.calls.push({ op: "acknowledge", dedupKey, by, at, incidentOpenedAt: incident.openedAt });
    return this.known.has(dedupKey) ? "applied" : "not-firing";
  }
  resolve(dedupKey: string, at: number, _reason: string, incident: IncidentRef): ControlOutcome {
    this.calls.push({ op: "resolve", dedupKey, at, incidentOpenedAt: incident.openedAt });
    return this.known.has(dedupKey) ? "applied" : "not-firing";
  }
}

/** A delivery service over the runtime's real SQLite store in a temp folder. */
export interface Harness {
  dir: string;
  store: SqliteStore;
  /** The store's deliveries, as the tests read them. */
  deliveries: { forAlert(dedupKey: string): DeliveryRecord[]; recent(limit: number): DeliveryRecord[] };
  delivery: DeliveryService;
  lines: string[];
  alerts: RecordingAlertControl;
  /** Serves the delivery routes on loopback; returns the base URL. */
  serve(): Promise<string>;
  enqueue(intent: NotificationIntent): void;
  /** Stops delivery and closes the database; the folder survives for a restart. */
  close(): Promise<void>;
  /** Stops and removes the folder. */
  destroy(): Promise<void>;
}

export function makeHarness(o: {
  manifest: Manifest;
  secrets: Record<string, string>;
  /** Delivery tuning, plus the environment and inbound options the command would pass. */
  options?: DeliveryOptions & { env?: Record<string, string | undefined>; diagnose?: Diagnose; emergencyAttemptsPerMinute?: number };
  dir?: string;
  knownAlerts?: string[];
  clock?: () => number;
  /** Use the runtime's real AlertControl over the store instead of a recording one. */
  realAlerts?: boolean;
}): Harness {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "wk-delivery-"));
  const store = SqliteStore.open(dir, Date.now(), { webhookReplayWindowMs: replayWindowMs(10 * 60_000) });
  const { env = {}, diagnose, emergencyAttemptsPerMinute, ...deliveryOptions } = o.options ?? {};
  const clock = o.clock ?? (() => Date.now());
  const { logger, lines } = captureLogger();
  const alerts = new RecordingAlertControl(new Set(o.knownAlerts ?? []));
  const delivery = createDelivery(
    {
      manifest: o.manifest,
      store,
      secrets: secretsOf(o.secrets),
      logger,
      clock,
      registry: new Registry(),
    },
    { pollMs: 10, backoff: { initialMs: 50, maxMs: 400 }, ...deliveryOptions, settings: deliverySettingsFromEnv(env) },
  );
  let closed = false;
  let server: ReturnType<typeof createHttpServer> | null = null;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (server) await closeServer(server);
    await delivery.stop(2_000);
    store.close();
  };
  return {
    dir,
    store,
    deliveries: { forAlert: (key) => store.deliveriesForAlert(key), recent: (limit) => store.recentDeliveries(limit) },
    delivery,
    lines,
    alerts,
    async serve() {
      const router = new Router();
      delivery.registerRoutes(router);
      registerInboundRoutes(router, {
        manifest: o.manifest,
        store,
        alerts: o.realAlerts ? new StoreAlertControl(store, o.manifest, undefined, (monitorId) => delivery.pagerDutyServices!(monitorId)) : alerts,
        secret: (name) => o.secrets[name],
        secretValues: () => Object.values(o.secrets).filter((v): v is string => typeof v === "string"),
        logger,
        clock,
        settings: { ...DEFAULT_INBOUND_SETTINGS, ...(emergencyAttemptsPerMinute ? { emergencyAttemptsPerMinute } : {}) },
        diagnose,
      });
      server = createHttpServer(router, logger);
      const addr = await listen(server, 0, "127.0.0.1");
      return `http://127.0.0.1:${addr.port}`;
    },
    enqueue: (intent) => void store.enqueue(intent),
    close,
    async destroy() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** An intent for a monitor; ids are unique per call. */
export function intentFor(monitorId: string, type: NotificationIntent["type"], overrides: Partial<NotificationIntent> = {}): NotificationIntent {
  counter++;
  const dedupKey = overrides.dedupKey ?? `wk-${monitorId}`;
  return {
    id: `${dedupKey}:${counter}`,
    type,
    monitorId,
    dedupKey,
    labels: {},
    severity: "critical",
    summary: `${monitorId} is failing`,
    value: 503,
    details: { status: 503, message: "HTTP 503 from /health" },
    at: Date.now(),
    firedAt: type === "trigger" ? Date.now() : Date.now() - 1000,
    ...overrides,
  };
}

/** A 32-character routing key, as PagerDuty issues them. */
export function routingKey(seed: string): string {
  return (seed + "0123456789abcdef0123456789abcdef").slice(0, 32);
}

export async function until(predicate: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
