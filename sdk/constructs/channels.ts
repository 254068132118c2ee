import type { Duration } from "../duration.js";
import type { Secretish, SecretRef } from "../secret.js";
import { define, type Construct } from "./definition.js";
import type { Service } from "./oncall.js";

interface ChannelCommon {
  id: string;
  /** Override the vendor's base URL (EU region, proxy). */
  baseUrl?: string;
  /** Wait this long to batch alerts before the first send. */
  groupWait?: Duration;
  groupInterval?: Duration;
  /** Sends per minute to this destination (default: the vendor's documented limit). */
  rateLimitPerMinute?: number;
}

export interface PagerDutyChannelProps extends ChannelCommon {
  /** Events API v2 routing key. Monitors that name a `service` page through it without a channel. */
  routingKey: SecretRef;
}
export interface PagerDutyIncidentChannelProps extends ChannelCommon {
  /** REST API token (`Authorization: Token token=...`). */
  token: SecretRef;
  /**
   * Email of the PagerDuty user the incident is opened as (`From` header): a bare address such as
   * `oncall@example.com`; PagerDuty refuses any other. `wk validate` checks it is an email.
   */
  from: string;
  /** The service the incident opens on: a service construct or a PagerDuty service ID. */
  service: Service | string;
  urgency?: "high" | "low";
}
export interface OpsgenieChannelProps extends ChannelCommon {
  apiKey: SecretRef;
  region?: "us" | "eu";
  responders?: { type: "team" | "user" | "escalation" | "schedule"; name: string }[];
  tags?: string[];
}
export interface SlackChannelProps extends ChannelCommon {
  /** Incoming webhook URL; it is a credential, so always a secret. */
  webhookUrl: SecretRef;
  channel?: string;
}
export interface EmailChannelProps extends ChannelCommon {
  smtp: {
    host: string;
    port?: number;
    /** TLS from the first byte (implicit TLS, port 465); false for a port that speaks plain text then STARTTLS (587, 25). */
    secure?: boolean;
    user?: Secretish;
    password?: SecretRef;
  };
  from: string;
  to: string | string[];
}
export interface WebhookChannelProps extends ChannelCommon {
  url: Secretish;
  headers?: Record<string, Secretish>;
  /** Signs the body: `X-Watchkeeper-Signature: sha256=<hex HMAC>`. */
  hmacSecret?: SecretRef;
}

export type PagerDutyChannel = Construct<"channel"> & { type: "pagerduty" } & PagerDutyChannelProps;
export type PagerDutyIncidentChannel = Construct<"channel"> & { type: "pagerdutyIncident" } & PagerDutyIncidentChannelProps;
export type OpsgenieChannel = Construct<"channel"> & { type: "opsgenie" } & OpsgenieChannelProps;
export type SlackChannel = Construct<"channel"> & { type: "slack" } & SlackChannelProps;
export type EmailChannel = Construct<"channel"> & { type: "email" } & EmailChannelProps;
export type WebhookChannel = Construct<"channel"> & { type: "webhook" } & WebhookChannelProps;

export type Channel =
  | PagerDutyChannel
  | PagerDutyIncidentChannel
  | OpsgenieChannel
  | SlackChannel
  | EmailChannel
  | WebhookChannel;

/** Notification channels. Credentials are always secret references. */
export const channel = {
  /** PagerDuty Events API v2 with an explicit routing key. */
  pagerduty: (props: PagerDutyChannelProps): PagerDutyChannel => define({ kind: "channel", type: "pagerduty", ...props }),
  /** Opens a PagerDuty incident through the REST API (the emergency flow). */
  pagerdutyIncident: (props: PagerDutyIncidentChannelProps): PagerDutyIncidentChannel =>
    define({ kind: "channel", type: "pagerdutyIncident", ...props }),
  /** OpsGenie alerts, closed and acknowledged by alias. */
  opsgenie: (props: OpsgenieChannelProps): OpsgenieChannel => define({ kind: "channel", type: "opsgenie", ...props }),
  /** Slack incoming webhook. */
  slack: (props: SlackChannelProps): SlackChannel => define({ kind: "channel", type: "slack", ...props }),
  /** Email over SMTP. */
  email: (props: EmailChannelProps): EmailChannel => define({ kind: "channel", type: "email", ...props }),
  /** Generic JSON webhook. */
  webhook: (props: WebhookChannelProps): WebhookChannel => define({ kind: "channel", type: "webhook", ...props }),
};
