import type { ChannelKind, ChannelSpec, Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../alerts/intent.js";

/**
 * Where a notification goes: a manifest channel, or a service's PagerDuty Events v2 integration
 * (`service:<id>`, routed by the service's routing key).
 */
export type Destination =
  | { id: string; kind: "channel"; channel: ChannelSpec }
  | { id: string; kind: "service"; serviceId: string }
  /** An intent the route stage has not yet expanded into one notification per destination. */
  | { id: "unrouted"; kind: "unrouted" };

/** The notifier kind behind a destination: a channel kind, or PagerDuty Events for a service. */
export type NotifierKind = ChannelKind | "pagerdutyService";

export function destinationKind(destination: Destination): NotifierKind | "unrouted" {
  switch (destination.kind) {
    case "service":
      return "pagerdutyService";
    case "channel":
      return destination.channel.kind;
    case "unrouted":
      return "unrouted";
  }
}

/** Destination ids as stored in delivery rows. */
export function channelDestinationId(channelId: string): string {
  return `channel:${channelId}`;
}

export function serviceDestinationId(serviceId: string): string {
  return `service:${serviceId}`;
}

/** One intent bound for one destination: the unit that flows through the pipeline's stages. */
export interface Notification {
  intent: NotificationIntent;
  destination: Destination;
  /** Not sent before this time (group wait / interval, retry backoff, rate limits). */
  notBefore: number;
  /** Row in delivery_deliveries once recorded; null while dispatching. */
  deliveryId: number | null;
  /** Send attempts made so far. */
  attempts: number;
  /** When the first attempt was due. */
  firstDueAt: number;
  /**
   * When the first retryable failure was recorded; retries go on for the give-up time from then.
   * Absent before any: a delivery that waited (a secret not set, a runtime that was down) is not
   * given up at its first failure.
   */
  firstFailedAt?: number;
  /** The recipients still owed after an attempt that reached only some of them (email); absent: all. */
  owedTo?: string[];
  /** Set by the retry stage; read by the record stage. */
  outcome: SendOutcome | null;
}

/** How a notifier failure should be handled; decided where the failure happens. */
export interface DeliveryFailure {
  retryable: boolean;
  /** Short, secret-free explanation for logs and the deliveries table. */
  reason: string;
  /** The vendor asked us to wait this long (Retry-After). */
  retryAfterMs?: number;
  /**
   * The vendor's documents ask for at least this long before a retry when it says nothing itself
   * (PagerDuty's Events API throttle): held like Retry-After, capped by the backoff's longest wait.
   */
  throttleWaitMs?: number;
  /** A secret the destination needs has no value: wait for it rather than fail. */
  missingSecret?: string;
  /**
   * The attempt reached some recipients and not these (an email the server took for the others):
   * the retry goes to them only, and is stored with the delivery so that a restart knows it too.
   */
  owedTo?: string[];
  /** Why `missingSecret` counts as having no value although it is set ("holds a line break ..."). */
  secretProblem?: string;
}

/** What one call to a vendor produced. */
export type SendResult =
  | {
      ok: true;
      status: number | null;
      answer: string;
      ref?: string | null;
      /** Sent, but it may not do what it was meant to (secret-free): logged as a warning. */
      warning?: string;
    }
  | { ok: false; failure: DeliveryFailure; status: number | null; answer: string };

/** What the retry stage decided for a notification after (or instead of) an attempt. */
export type SendOutcome =
  | { kind: "sent"; status: number | null; answer: string; ref: string | null; at: number; warning?: string }
  | { kind: "retry"; at: number; reason: string; status: number | null; answer: string; owedTo?: string[] }
  | { kind: "deferred"; at: number; reason: string }
  | { kind: "failed"; reason: string; status: number | null; answer: string };

/** Facts a notifier needs besides the intent: the monitor, links, the runtime's public URL. */
export interface MessageContext {
  manifest: Manifest;
  monitor: MonitorSpec | null;
}

/** What a notifier receives for one attempt. */
export interface SendContext {
  signal: AbortSignal;
  /** Reads a secret value; undefined when it is not set. Values must never reach logs or reasons. */
  secret(name: string): string | undefined;
  /** The vendor's id from the last successful send for this alert and destination (PagerDuty incident id). */
  previousRef: string | null;
  /**
   * The recipients an earlier attempt left owed (the server took the email for the others), as
   * stored with the delivery; absent when every recipient is owed.
   */
  owedTo?: string[];
  now: number;
}

/** One vendor integration: turns an intent into one request and classifies the answer. */
export interface Notifier {
  readonly kind: NotifierKind;
  /** How long one attempt may take; the retry stage's default applies when unset. */
  readonly timeoutMs?: number;
  send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult>;
  /**
   * What the vendor counts this attempt's requests by, when that is not the destination: PagerDuty
   * counts Events per routing key (two services may share one, and an alert's later events go
   * with the key its trigger went with, a rotated-out one included) and REST calls per API key.
   * Never a secret in clear.
   */
  rateKey?(secret: (name: string) => string | undefined, intent: NotificationIntent, previousRef: string | null): string | null;
  /**
   * How many requests to the vendor's rate limit one attempt makes, when more than one (OpsGenie
   * reads the previous request's status before sending). The retry stage takes them all at once.
   */
  requestsPerAttempt?(intent: NotificationIntent, previousRef: string | null, now: number): number;
  /** Releases connections (SMTP transports). */
  close?(): void;
}

/** Default sends per minute per destination when the channel sets none (the vendors' documented limits). */
export const DEFAULT_RATE_PER_MINUTE: Record<NotifierKind, number> = {
  pagerduty: 120,
  pagerdutyService: 120,
  // PagerDuty's REST API allows 960 requests a minute per account API key, and per user across
  // that user's API keys (support.pagerduty.com/docs/rest-api-rate-limits).
  pagerdutyIncident: 960,
  opsgenie: 600,
  slack: 60,
  email: 120,
  webhook: 600,
};
