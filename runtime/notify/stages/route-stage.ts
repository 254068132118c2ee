import type { Manifest, MonitorSpec } from "../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../alerts/intent.js";
import type { Awaitable } from "../../awaitable.js";
import type { Stage } from "../pipeline.js";
import { fanOut } from "../pipeline.js";
import { channelDestinationId, serviceDestinationId, type Destination, type Notification } from "../types.js";
import { monitorsById } from "../../monitors-by-id.js";
import { triggerMayHaveReached, triggerPending, type AlertDeliveries } from "../trigger-tried.js";

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

/** What was last sent per (dedup key, destination): the durable log the dedup stage reads too. */
export interface PagedLog {
  lastSent(dedupKey: string, destination: string): Awaitable<{ state: string } | null>;
}

/**
 * Expands each unrouted intent into one notification per destination: the monitor's service
 * (PagerDuty Events via its routing key), its channels, and its acknowledgement channels for
 * acknowledgements and emergency reports. A resolve or an acknowledgement also goes to every
 * destination still in the manifest where its alert was paged, as `log` says (or a trigger's
 * attempt was cut off and may have reached it), when the monitor
 * no longer routes there (its service or channels changed while it fired, or it left the
 * manifest and the rollout closes its alerts): PagerDuty and OpsGenie close an incident only
 * when told so where it was opened, and no incident may be left open that no runtime will ever
 * close. An intent of a renamed monitor's old id routes as the monitor that names it in
 * `previousIds`.
 */
export function routeStage(manifest: Manifest, log?: PagedLog & Partial<AlertDeliveries>): Stage {
  const monitors = monitorsById(manifest);
  // An intent written before a rename (`previousIds`) names the old id; the rollout made its
  // alert the new monitor's (runtime/evaluate/rollout.ts), and so does routing.
  const heirs = new Map<string, MonitorSpec>();
  for (const m of manifest.monitors) for (const old of m.previousIds ?? []) if (!monitors.has(old) && !heirs.has(old)) heirs.set(old, m);
  const monitorOf = (id: string): MonitorSpec | undefined => monitors.get(id) ?? heirs.get(id);
  const channels = new Map(manifest.channels.map((c) => [c.id, c]));
  const everyDestination: Destination[] = [
    ...manifest.services.map((s): Destination => ({ id: serviceDestinationId(s.id), kind: "service", serviceId: s.id })),
    ...manifest.channels.map((channel): Destination => ({ id: channelDestinationId(channel.id), kind: "channel", channel })),
  ];
  /** Where this alert's trigger was sent and not yet resolved (for a resolve, or an acknowledgement of a monitor still here). */
  const pagedAt = async (intent: NotificationIntent, acknowledgements: boolean): Promise<Destination[]> => {
    if (!log || (intent.type !== "resolve" && !(acknowledgements && intent.type === "acknowledge"))) return [];
    // One read per destination, all at once (a round trip each on Redis); only resolves and acknowledgements pay it.
    const lasts = await Promise.all(everyDestination.map((destination) => log.lastSent(intent.dedupKey, destination.id)));
    // A trigger whose attempt was cut off (a kill, a timeout) may have opened an incident there too.
    const tried = intent.type === "resolve" && log.deliveriesForAlert ? await log.deliveriesForAlert(intent.dedupKey) : [];
    // A trigger still waiting there may yet be sent by a replica whose manifest still has the monitor.
    return everyDestination.filter((d, i) => lasts[i]?.state === "trigger" || lasts[i]?.state === "acknowledge" || triggerMayHaveReached(tried, d.id) || triggerPending(tried, d.id));
  };

  const expand = (pick: (monitor: MonitorSpec, intent: NotificationIntent) => Destination[]): Stage =>
    async (_ctx, items) => {
      const out: Notification[] = [];
      for (const item of items) {
        const monitor = monitorOf(item.intent.monitorId);
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

  const byId = new Map(everyDestination.map((d) => [d.id, d]));

  return async (ctx, allItems) => {
    // A rollout's page of a firing alert's new destinations, or resolve of its old ones, goes just there.
    const pinned: Notification[] = [];
    const items: Notification[] = [];
    for (const item of allItems) {
      if (item.destination.kind !== "unrouted") throw new Error("route stage received an already routed notification");
      if (item.intent.onlyTo === undefined) items.push(item);
      else {
        const destinations = item.intent.onlyTo.flatMap((id) => byId.get(id) ?? []);
        if (destinations.length === 0) ctx.drop(item, "none of the destinations it was meant for is in the manifest");
        for (const destination of destinations) pinned.push({ ...item, destination });
      }
    }
    const orphans: Notification[] = [...pinned];
    for (const item of items) {
      if (monitorOf(item.intent.monitorId)) continue;
      const paged = await pagedAt(item.intent, false);
      if (paged.length === 0) ctx.drop(item, `monitor ${item.intent.monitorId} is not in the manifest`);
      for (const destination of paged) orphans.push({ ...item, destination });
    }
    const routed = [...(await fan(ctx, items)), ...orphans];
    // A monitor still here whose routing changed while its alert was open: where it was paged
    // hears the resolve (and an acknowledgement) too. An acknowledgement-only audience (a
    // customer's email) is not sent a resolve it never had a trigger for.
    for (const item of items) {
      const monitor = monitorOf(item.intent.monitorId);
      if (!monitor) continue;
      for (const destination of await pagedAt(item.intent, true)) {
        if (routed.some((r) => r.intent.id === item.intent.id && r.destination.id === destination.id)) continue;
        if (item.intent.type === "resolve" && isAckOnlyDestination(monitor, destination.id)) continue;
        routed.push({ ...item, destination });
      }
    }
    for (const item of items) {
      if (monitorOf(item.intent.monitorId) && !routed.some((r) => r.intent.id === item.intent.id)) {
        ctx.drop(item, "the monitor routes to no service or channel");
      }
    }
    return routed;
  };
}
