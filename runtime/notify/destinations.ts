import type { ChannelSpec, Manifest } from "../../sdk/manifest/schema.js";
import { emailNotifier } from "./channels/email/email-notifier.js";
import { opsgenieNotifier } from "./channels/opsgenie/opsgenie-notifier.js";
import { DEFAULT_PAGERDUTY_API_URL, pagerDutyIncidentNotifier } from "./channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { DEFAULT_PAGERDUTY_EVENTS_URL, pagerDutyNotifier } from "./channels/pagerduty/pagerduty-notifier.js";
import { slackNotifier } from "./channels/slack/slack-notifier.js";
import { webhookNotifier } from "./channels/webhook/webhook-notifier.js";
import { monitorsById } from "../monitors-by-id.js";
import { RoutingKeyHistory, type KeyFile } from "./routing-keys.js";
import {
  channelDestinationId,
  DEFAULT_RATE_PER_MINUTE,
  destinationKind,
  serviceDestinationId,
  type Destination,
  type Notifier,
} from "./types.js";

/** The length of every PagerDuty Events API v2 routing key (integration key). */
export const ROUTING_KEY_LENGTH = 32;

/** Where vendors live and how long sends may take; read from the environment at the edge. */
export interface DestinationConfig {
  pagerDutyEventsUrl: string;
  pagerDutyApiUrl: string;
  routingKeys: KeyFile;
  /** Manifest service id -> PagerDuty service ID, for the incident channel. */
  serviceIds: KeyFile;
  smtpTimeoutMs: number;
}

/** Every destination the manifest can route to, with its notifier. */
export class Destinations {
  private readonly byId = new Map<string, { destination: Destination; notifier: Notifier }>();
  /** Routing keys sent with since start, so a rotation does not orphan the incidents opened before it. */
  private readonly keyHistory = new RoutingKeyHistory();

  constructor(
    private readonly manifest: Manifest,
    private readonly config: DestinationConfig,
  ) {
    for (const service of manifest.services) {
      const destination: Destination = { id: serviceDestinationId(service.id), kind: "service", serviceId: service.id };
      const notifier = pagerDutyNotifier({
        kind: "pagerdutyService",
        baseUrl: config.pagerDutyEventsUrl,
        routingKey: (secret) => {
          if (service.routingKey) return this.secretKey(secret, service.routingKey.secret);
          const key = config.routingKeys.get(service.id);
          if (!key) return { missing: `routing key of service ${service.id} in ${config.routingKeys.path}` };
          const previous = [...this.keyHistory.current(`service:${service.id}`, key), ...config.routingKeys.previous(service.id)];
          return { key, previous: [...new Set(previous)].filter((k) => k !== key) };
        },
      });
      this.byId.set(destination.id, { destination, notifier });
    }
    for (const channel of manifest.channels) {
      const destination: Destination = { id: channelDestinationId(channel.id), kind: "channel", channel };
      this.byId.set(destination.id, { destination, notifier: this.notifierFor(channel) });
    }
  }

  get(id: string): Destination | null {
    return this.byId.get(id)?.destination ?? null;
  }

  notifier(destination: Destination): Notifier | null {
    return this.byId.get(destination.id)?.notifier ?? null;
  }

  /** Sends per minute allowed to a destination: the channel's setting, else the vendor's documented limit. */
  ratePerMinute(destination: Destination): number {
    const kind = destinationKind(destination);
    if (kind === "unrouted") return Infinity;
    if (destination.kind === "channel" && destination.channel.rateLimitPerMinute !== null) return destination.channel.rateLimitPerMinute;
    return DEFAULT_RATE_PER_MINUTE[kind];
  }

  /** The PagerDuty service IDs this monitor pages, as far as they are known (DeliveryService.pagerDutyServices). */
  pagerDutyServicesOf(monitorId: string): ReadonlySet<string> {
    const ids = new Set<string>();
    const monitor = monitorsById(this.manifest).get(monitorId);
    if (!monitor) return ids;
    const known = (service: string) => {
      const id = this.config.serviceIds.get(service);
      if (id) ids.add(id);
    };
    if (monitor.service) known(monitor.service);
    for (const channelId of monitor.channels) {
      const channel = this.manifest.channels.find((c) => c.id === channelId);
      if (channel?.kind !== "pagerdutyIncident") continue;
      // A REST channel names a manifest service, or the PagerDuty service ID itself.
      if (this.manifest.services.some((s) => s.id === channel.service)) known(channel.service);
      else ids.add(channel.service);
    }
    return ids;
  }

  /** Every routing key sent with since start (rotated ones too), for redaction. */
  knownRoutingKeys(): string[] {
    return this.keyHistory.all();
  }

  /**
   * A routing key held in a secret: its value now, and the values it had before since start.
   * `pagerDutyLength`: the key goes to PagerDuty's Events API, which takes keys of 32 characters
   * only; a service that takes PagerDuty's events at a channel's `baseUrl` may give keys of another
   * length.
   */
  private secretKey(secret: (name: string) => string | undefined, name: string, pagerDutyLength = true): { key: string; previous: string[] } | { missing: string; problem?: string } {
    const key = secret(name);
    if (!key) return { missing: name };
    // PagerDuty refuses a key with a space or a line break in it (400, not retried): the page would
    // be lost. It waits instead, as for a secret not set, and the warning says what to fix.
    if (/[\s\p{Cc}\p{Cf}]/u.test(key)) return { missing: name, problem: "holds a space, line break or other invisible character; a routing key is one word" };
    // So does any length but 32 ("Length of 'routing_key' is incorrect (should be 32 characters)"):
    // quotes kept from an .env file, or the integration's whole URL pasted, would lose the page too.
    if (pagerDutyLength && key.length !== ROUTING_KEY_LENGTH) return { missing: name, problem: `is ${key.length} characters long; a PagerDuty routing key is ${ROUTING_KEY_LENGTH} (quotes or more than the key copied?)` };
    return { key, previous: this.keyHistory.current(`secret:${name}`, key) };
  }

  close(): void {
    for (const { notifier } of this.byId.values()) notifier.close?.();
  }

  private notifierFor(channel: ChannelSpec): Notifier {
    switch (channel.kind) {
      case "pagerduty":
        return pagerDutyNotifier({
          kind: "pagerduty",
          baseUrl: channel.baseUrl ?? this.config.pagerDutyEventsUrl,
          routingKey: (secret) => this.secretKey(secret, channel.routingKey.secret, isPagerDuty(channel.baseUrl)),
        });
      case "pagerdutyIncident": {
        const known = this.manifest.services.some((s) => s.id === channel.service);
        return pagerDutyIncidentNotifier(channel, {
          baseUrl: channel.baseUrl ?? this.config.pagerDutyApiUrl,
          serviceId: () => {
            if (!known) return { id: channel.service };
            const id = this.config.serviceIds.get(channel.service);
            return id ? { id } : { missing: `PagerDuty service ID of ${channel.service} in ${this.config.serviceIds.path}` };
          },
        });
      }
      case "opsgenie":
        return opsgenieNotifier(channel);
      case "slack":
        return slackNotifier(channel);
      case "email":
        return emailNotifier(channel, { timeoutMs: this.config.smtpTimeoutMs });
      case "webhook":
        return webhookNotifier(channel);
    }
  }
}

export { DEFAULT_PAGERDUTY_API_URL, DEFAULT_PAGERDUTY_EVENTS_URL };

/** Whether a pagerduty channel's events go to PagerDuty itself: its default, or a pagerduty.com host (the EU region). */
function isPagerDuty(baseUrl: string | null | undefined): boolean {
  if (baseUrl == null) return true;
  try {
    const host = new URL(baseUrl).hostname.toLowerCase();
    return host === "pagerduty.com" || host.endsWith(".pagerduty.com");
  } catch {
    return true;
  }
}
