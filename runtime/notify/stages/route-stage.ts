import type { Manifest, MonitorSpec } from "../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../alerts/intent.js";
import type { Stage } from "../pipeline.js";
import { fanOut } from "../pipeline.js";
import { channelDestinationId, serviceDestinationId, type Destination, type Notification } from "../types.js";
import { monitorsById } from "../../monitors-by-id.js";

/** True for intents raised by a person through the emergency page. */
export function isEmergency(intent: NotificationIntent): boolean {
  return intent.details["emergency"] === true;
}

/** Whether a destination is only an acknowledgement audience (a customer's email) for this monitor. */
export function isAckOnlyDestination(monitor: MonitorSpec, destinationId: string): boolean {
  const inAck = monitor.ackChannels.some((c) => channelDestinationId(c) === destinationId);
  const inMain = monitor.channels.some((c) => channelDestinationId(c) === destinationId);
  return inAck && !inMain;
}

/**
 * Expands each unrouted intent into one notification per destination: the monitor's service
 * (PagerDuty Events via its routing key), its channels, and its acknowledgement channels for
 * acknowledgements and emergency reports.
 */
export function routeStage(manifest: Manifest): Stage {
  const monitors = monitorsById(manifest);
  const channels = new Map(manifest.channels.map((c) => [c.id, c]));

  const expand = (pick: (monitor: MonitorSpec, intent: NotificationIntent) => Destination[]): Stage =>
    async (_ctx, items) => {
      const out: Notification[] = [];
      for (const item of items) {
        const monitor = monitors.get(item.intent.monitorId);
        if (!monitor) continue;
        for (const destination of pick(monitor, item.intent)) out.push({ ...item, destination });
      }
      return out;
    };

  const channelDestinations = (ids: string[]): Destination[] =>
    ids.flatMap((id) => {
      const channel = channels.get(id);
      return channel ? [{ id: channelDestinationId(id), kind: "channel" as const, channel }] : [];
    });

  const byService = expand((monitor) =>
    monitor.service === null ? [] : [{ id: serviceDestinationId(monitor.service), kind: "service", serviceId: monitor.service }],
  );
  const byChannel = expand((monitor) => channelDestinations(monitor.channels));
  const byAckChannel = expand((monitor, intent) =>
    intent.type === "acknowledge" || isEmergency(intent)
      ? channelDestinations(monitor.ackChannels.filter((id) => !monitor.channels.includes(id)))
      : [],
  );
  const fan = fanOut(byService, byChannel, byAckChannel);

  return async (ctx, items) => {
    for (const item of items) {
      if (item.destination.kind !== "unrouted") throw new Error("route stage received an already routed notification");
      if (!monitors.has(item.intent.monitorId)) ctx.drop(item, `monitor ${item.intent.monitorId} is not in the manifest`);
    }
    const routed = await fan(ctx, items);
    for (const item of items) {
      if (monitors.has(item.intent.monitorId) && !routed.some((r) => r.intent.id === item.intent.id)) {
        ctx.drop(item, "the monitor routes to no service or channel");
      }
    }
    return routed;
  };
}
