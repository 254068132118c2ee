import type { Dispatcher } from "undici";
import type { MonitorCode, CheckResult } from "../../sdk/result.js";
import type { Awaitable } from "../awaitable.js";
import type { CheckErrorReason } from "./check-error.js";
import type { StopHook } from "./shared/check-stop.js";
import type { DnsQuery } from "./dns/records.js";
import type { CertificateInfo } from "./http/tls-expiry.js";
import type { TcpConnect } from "./tcp/tcp-check.js";

/** What the runtime records from the outside world for event-driven checks. */
export interface UptimeReport {
  up: boolean;
  message: string;
  at: number;
}

/**
 * How much earlier than the last ping a new one may be stamped and still be taken as out of order
 * (requests that overtook each other, replicas a moment apart), leaving the last ping as it is.
 * Stamped earlier by more, the last ping's time came from a clock that ran ahead (set right since,
 * or edited by hand): the new ping replaces it, or that time would hide every ping until it passed.
 */
export const HEARTBEAT_CLOCK_SLACK_MS = 60_000;

export interface InboundEvents {
  /** When the last heartbeat ping arrived (ms since the epoch), or null. */
  lastHeartbeat(monitorId: string): Awaitable<number | null>;
  /** Records a ping; never moves the last one back by up to HEARTBEAT_CLOCK_SLACK_MS (out of order). */
  recordHeartbeat(monitorId: string, at: number): Awaitable<void>;
  /** The latest report an uptime service posted for this monitor, or null. */
  lastUptimeReport(monitorId: string): Awaitable<UptimeReport | null>;
  recordUptimeReport(monitorId: string, report: UptimeReport): Awaitable<void>;
  /** When the emergency button was last pressed for this monitor, with the reporter's text. */
  lastEmergency(monitorId: string): Awaitable<{ at: number; message: string } | null>;
  recordEmergency(monitorId: string, at: number, message: string): Awaitable<void>;
  /**
   * When the last emergency for this monitor was resolved (PagerDuty incident resolved, or resolved
   * on the emergency page), or null. Optional so older implementations keep compiling; without it a
   * press only clears when its hold time elapses.
   */
  lastEmergencyResolved?(monitorId: string): Awaitable<number | null>;
  recordEmergencyResolved?(monitorId: string, at: number): Awaitable<void>;
}

/** Everything a check may use; the check never reads the clock or globals. */
export interface CheckContext {
  /** The tick's scheduled time. */
  now: Date;
  /** When the monitor's runtime started (heartbeats get a grace period from start-up). */
  startedAt: Date;
  monitorId: string;
  signal: AbortSignal;
  /** When (performance.now() ms) `signal` aborts at the latest; set by runCheck at the check's timeout. */
  signalAbortsBy?: number;
  /** The same stop as `signal`, followed without an AbortSignal (set by runCheck; see check-stop.ts). */
  stop?: StopHook;
  secret(name: string): string | undefined;
  /**
   * Every declared secret's value now set. Project code (a script check, a summary function) could
   * read a secret without asking `secret()`, so what it returns is scrubbed of all of them.
   */
  secretValues?: () => string[];
  code: MonitorCode | undefined;
  inbound: InboundEvents;
  /** Connection pool for HTTP checks (keep-alive, custom CA); undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  /** How long an emergency press keeps a manual check failing unless resolved first; default 1 h. */
  emergencyHoldMs?: number;
  /**
   * Reads elapsed time in ms for latencies (performance.now when unset). `wk test --unit` passes a
   * simulated one, so a step's latency is judged by the same expectations as a real one.
   */
  stopwatch?: () => number;
  /** Reads the target's TLS certificate (a second connection when unset); simulated by `wk test --unit`. */
  peerCertificate?: (url: URL, signal: AbortSignal) => Promise<CertificateInfo | null>;
  /** Asks one DNS server (`queryDns`, over the network, when unset); simulated by `wk test --unit`. */
  dnsQuery?: DnsQuery;
  /** Opens and closes one TCP connection (a real socket when unset); simulated by `wk test --unit`. */
  tcpConnect?: TcpConnect;
}

/**
 * One evaluation of a check: results per series (one for single-target checks, one per returned
 * series for PromQL), or an error when the check could not produce a result at all.
 */
export type CheckOutcome =
  /** `durationMs`: how long a check that returned no results (an empty PromQL vector) took, when timed. */
  | { kind: "results"; results: CheckResult[]; durationMs?: number }
  | { kind: "error"; error: string; durationMs: number; reason?: CheckErrorReason };
