import type { Logger } from "pino";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { CheckOutcome } from "../checks/types.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { Clock } from "./clock.js";
import type { TickClaim } from "./tick-claim.js";
import type { TickRunner } from "./scheduler.js";

/**
 * What the runtime needs from whatever decides when ticks run: the embedded Scheduler, or the
 * scale-out one that shares ticks with other replicas through BullMQ.
 */
export interface TickScheduler {
  start(): void | Promise<void>;
  /** No new ticks; running ones go on. */
  stop(): void | Promise<void>;
  /** Resolves true when in-flight ticks have finished, false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /**
   * Whether this process may roll alert state out to its manifest at start-up (close alerts of
   * monitors it does not know). Embedded: always. Scale-out: only the replica whose manifest owns
   * the schedules, so an old replica restarting mid-rollout never resolves the new version's alerts.
   */
  readonly ownsRollout: boolean;
  /** Readiness beyond the store (the Redis connection, unserved locations); null when nothing to add. */
  readiness?(): Promise<SchedulerReadiness>;
  /** One line per monitor that does not run as its spec asks (a location no replica serves). */
  monitorNotes?(): Promise<Map<string, string>>;
  /** The replicas sharing the work, for the status page. */
  replicas?(): Promise<Array<{ id: string; location: string; manifest: string; startedAt: string }>>;
  /** Frees connections after drain. */
  close?(): Promise<void>;
  /** When this process's next tick is due (clock ms), or null: none scheduled, or not known here (scale-out). */
  nextTickAt?(): number | null;
}

/** Readiness details that name no host, replica or setting: Redis's state in a word, schedule ownership, unserved locations. */
export const PUBLIC_READINESS_DETAILS: readonly string[] = ["redis", "ownsSchedules", "unservedLocations", "locationWarnings"];

export interface SchedulerReadiness {
  ready: boolean;
  /** Why not ready, in one line (never a password); shown to those who may read the API. */
  reason: string | null;
  /** Why not ready in words that name no host, address or error text: what anyone's probe sees. */
  publicReason: string | null;
  /**
   * Shown in /readyz (replicas, locations, warnings) to those who may read the API; to anyone
   * else only the keys in `PUBLIC_READINESS_DETAILS`.
   */
  details: Record<string, unknown>;
}

/** What a scheduler factory gets from the runtime. */
export interface TickSchedulerDeps {
  manifest: Manifest;
  run: TickRunner;
  /** Monitors with locations: one location's check for a tick, not yet evaluated. */
  check(monitorId: string, scheduledAt: number): Promise<CheckOutcome>;
  /** Monitors with locations: evaluates a tick from the outcomes its locations reported (quorum). */
  evaluateLocations(monitorId: string, scheduledAt: number, outcomes: Record<string, CheckOutcome>, claim?: TickClaim): Promise<void>;
  /**
   * Rolls the stored alerts out to this manifest (rollout.ts). Scale-out: called again when this
   * replica's manifest becomes the owner after start-up (a rollback: the newer version's replicas
   * stopped), so the alerts of monitors only the newer version had are resolved, not left open.
   */
  rollOut?(): Promise<void>;
  clock: Clock;
  logger: Logger;
  metrics: RuntimeMetrics;
  concurrency: number;
  spreadMs: number;
  onLag(lagMs: number): void;
}

export type TickSchedulerFactory = (deps: TickSchedulerDeps) => Promise<TickScheduler>;
