import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { AlertStore } from "../alerts/alert-store.js";
import type { NotificationIntent, OutboxWriter } from "../alerts/intent.js";
import type { Alert } from "../alerts/state.js";
import { monitorsById } from "../monitors-by-id.js";
import type { NotifyLog } from "./stages/dedup-stage.js";
import { triggerMayHaveReached, triggerPending, type AlertDeliveries } from "./trigger-tried.js";
import { channelDestinationId, serviceDestinationId } from "./types.js";

/** What rerouting did: per firing alert whose routing changed, where it was paged now and where resolved. */
export interface RerouteReport {
  rerouted: Array<{ dedupKey: string; paged: string[]; resolved: string[] }>;
}

/** The note new destinations read in the page's details. */
const REROUTED_NOTE = "this alert was already firing when a deploy routed the monitor here";

/**
 * Follows a deploy that changed the routing of a monitor whose alert is firing (its service or
 * channels): the new destinations are paged with the open incident, and those the monitor no
 * longer routes to are sent a resolve, as an SRE moving a monitor to another team expects. Where
 * the alert was paged is what the notification log says (and triggers tried or still queued, as
 * the route stage reads them); destinations in both routings are left alone. The intents name
 * their destinations (`onlyTo`) and go through the pipeline as any other (silences, inhibitions,
 * dedup, retries). Run at start-up with the alert rollout, after it; a trigger already on its way
 * is only dropped again by the dedup stage.
 */
export async function rerouteOpenAlerts(
  manifest: Manifest,
  store: AlertStore & NotifyLog & OutboxWriter & Partial<AlertDeliveries>,
  now: number,
): Promise<RerouteReport> {
  const monitors = monitorsById(manifest);
  const everyDestination = [...manifest.services.map((s) => serviceDestinationId(s.id)), ...manifest.channels.map((c) => channelDestinationId(c.id))];
  const report: RerouteReport = { rerouted: [] };
  for (const alert of await store.allAlerts()) {
    const monitor = monitors.get(alert.monitorId);
    if (!monitor || alert.state !== "firing") continue;
    const routes = routingOf(monitor);
    const audience = new Set(monitor.ackChannels.map(channelDestinationId));
    const lasts = await Promise.all(everyDestination.map((d) => store.lastSent(alert.dedupKey, d)));
    const tried = store.deliveriesForAlert ? await store.deliveriesForAlert(alert.dedupKey) : [];
    const paged = everyDestination.filter((d, i) => lasts[i]?.state === "trigger" || lasts[i]?.state === "acknowledge" || triggerMayHaveReached(tried, d) || triggerPending(tried, d));
    const toPage = routes.filter((d) => !paged.includes(d));
    const toResolve = paged.filter((d) => !routes.includes(d) && !audience.has(d));
    // Nothing was paged yet (its trigger is still in the outbox): the trigger goes where the monitor routes now.
    if (paged.length === 0 || (toPage.length === 0 && toResolve.length === 0)) continue;
    if (toPage.length > 0) await store.enqueue(intentOf(alert, monitor, "trigger", toPage, now));
    if (toResolve.length > 0) await store.enqueue(intentOf(alert, monitor, "resolve", toResolve, now));
    report.rerouted.push({ dedupKey: alert.dedupKey, paged: toPage, resolved: toResolve });
  }
  return report;
}

/** Where a monitor's trigger goes: its service, then its channels. */
function routingOf(monitor: MonitorSpec): string[] {
  return [...(monitor.service === null ? [] : [serviceDestinationId(monitor.service)]), ...monitor.channels.map(channelDestinationId)];
}

function intentOf(alert: Alert, monitor: MonitorSpec, type: "trigger" | "resolve", onlyTo: string[], now: number): NotificationIntent {
  return {
    // Not of the alert's sequence (no transition happened): unique per rollout, as an emergency press's is.
    id: `${alert.dedupKey}:rerouted-${type}:${now}`,
    type,
    monitorId: alert.monitorId,
    dedupKey: alert.dedupKey,
    labels: { ...alert.labels, ...monitor.labels },
    severity: monitor.severity,
    summary: alert.summary,
    value: alert.lastValue,
    details: { rerouted: type === "trigger" ? REROUTED_NOTE : "a deploy routed the monitor elsewhere; its alert is still firing there" },
    at: now,
    firedAt: alert.firedAt,
    onlyTo,
  };
}
