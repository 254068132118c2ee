import type { Awaitable } from "../awaitable.js";

/**
 * The signed event ids of inbound webhooks, remembered durably so a replay is ignored across
 * restarts and replicas. The store keeps an id for the `inbound` retention and never for less than
 * the replay window (the oldest event still accepted plus clock skew): forgetting sooner would let
 * a replay of an event that is still fresh enough act a second time.
 */
export interface WebhookIdLog {
  /** Whether the id is recorded (its event was handled). */
  seenWebhookEvent(id: string): Awaitable<boolean>;
  /** Records the id; false when it was seen before. */
  firstWebhookEvent(id: string, now: number): Awaitable<boolean>;
  /** Forgets an id whose handling failed, so the sender's retry is processed. */
  forgetWebhookEvent(id: string): Awaitable<void>;
}
