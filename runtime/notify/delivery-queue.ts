import type { NotificationIntent, StoredIntent } from "../alerts/intent.js";
import type { Awaitable } from "../awaitable.js";
import type { SendOutcome } from "./types.js";

export type DeliveryStatus = "pending" | "sent" | "failed" | "skipped" | "suppressed";

/** A delivery as the worker reads it. */
export interface DeliveryRow {
  id: number;
  intent: NotificationIntent;
  destination: string;
  attempts: number;
  firstDueAt: number;
  nextAttemptAt: number;
  /** When its first retryable failure was recorded; absent before one (and on rows of older builds). */
  firstFailedAt?: number;
  /** The recipients an earlier attempt left owed (an email partly accepted); absent: all of them. */
  owedTo?: string[];
}

/** A delivery as `/api/deliveries` and tests see it. */
/** What a delivery set aside unsent is recorded with: its stored intent could not be read (a row or key edited by hand). */
export const UNREADABLE_INTENT = "its stored intent is not what Watchkeeper wrote";

export interface DeliveryRecord {
  id: number;
  intentId: string;
  destination: string;
  dedupKey: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  lastError: string | null;
  vendorStatus: number | null;
  vendorAnswer: string | null;
}

/** One destination an intent was routed to (pending) or kept from (suppressed, with the reason). */
export interface NewDelivery {
  destination: string;
  status: "pending" | "suppressed";
  due: number;
  reason: string | null;
}

/** The outcome of one attempt; `sent` carries what the notification log records. */
export interface AttemptRecord {
  id: number;
  attemptsBefore: number;
  outcome: SendOutcome;
  now: number;
  /** For a sent notification: the state it leaves at the vendor, logged with the outcome. */
  logged?: { dedupKey: string; destination: string; state: string };
}

/**
 * One attempt to deliver one notification to one destination, with the vendor's answer: the
 * store writes one with every recorded outcome (`recordOutcome`, `markSkipped`) and for every
 * suppressed delivery (`dispatchIntent`), in the same transaction. A deferral (rate limit, secret
 * not set yet) made no attempt and writes none.
 */
export interface DeliveryAttemptEvent {
  dedupKey: string;
  intentId: string;
  /** `trigger`, `resolve`, `remind`, `acknowledge`, as the intent says. */
  type: string;
  destination: string;
  at: number;
  /** 1 for the first attempt; 0 when nothing was sent (suppressed, or skipped before any attempt). */
  attempt: number;
  outcome: "sent" | "retrying" | "failed" | "suppressed" | "skipped";
  vendorStatus: number | null;
  /** The vendor's answer or our reason, redacted (by the retry stage) and shortened. */
  detail: string | null;
}

/**
 * Durable per-destination deliveries as the dispatcher and the workers use them. Only the oldest
 * pending delivery of each (dedup key, destination) is a head, so a resolve never overtakes its
 * trigger; a claimed head belongs to one worker until its lease ends.
 */
export interface DeliveryQueue {
  /**
   * Records an intent's deliveries, updates the firing set and marks the intent dispatched, all or
   * nothing. False, with nothing written, when the intent was already dispatched (by another replica).
   */
  dispatchIntent(stored: StoredIntent, deliveries: NewDelivery[], now: number): Awaitable<boolean>;
  /**
   * Pending heads that are due and not claimed, oldest due first; at most `perDestination` of any
   * one destination when given (the worker can start no more of one at a time, and a destination
   * with a long backlog must not fill the window and hide every other one's).
   */
  dueHeads(now: number, limit: number, perDestination?: number): Awaitable<DeliveryRow[]>;
  /**
   * Claims these heads for `leaseMs` (a worker that dies lets go when the lease ends); returns the
   * ids this caller won. Two workers claiming the same id never both win it.
   */
  claim(ids: number[], now: number, leaseMs: number): Awaitable<number[]>;
  /** Writes an attempt's outcome (and, when sent, the notification log) at once, ending the claim. */
  recordOutcome(attempt: AttemptRecord): Awaitable<void>;
  markSkipped(id: number, attempts: number, reason: string, now: number): Awaitable<void>;
  /** Earliest time any pending delivery becomes due, or null when nothing is pending. */
  nextDueAt(): Awaitable<number | null>;
  /**
   * The embedded store, whose worker runs on this process's clock: moves the times of pending
   * deliveries last written ahead of `now` (the wall clock stepped back since) back by as much.
   */
  afterClockStepBack?(now: number): Awaitable<number>;
  pendingCount(): Awaitable<number>;
  /** Deliveries for one alert, oldest first. */
  deliveriesForAlert(dedupKey: string): Awaitable<DeliveryRecord[]>;
  /** The most recent deliveries, newest first. */
  recentDeliveries(limit: number): Awaitable<DeliveryRecord[]>;
}
