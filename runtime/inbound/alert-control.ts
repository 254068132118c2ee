import type { Logger } from "pino";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { logAlertEvents } from "../alerts/alert-event.js";
import type { AlertStore } from "../alerts/alert-store.js";
import type { AlertControl, ControlOutcome, IncidentRef } from "../alerts/intent.js";
import type { Alert } from "../alerts/state.js";
import { acknowledge, isLateSignal, resolve, signal, unacknowledge, type IntentRules, type Transition } from "../alerts/transition.js";
import type { InboundEvents } from "../checks/types.js";
import { monitorsById } from "../monitors-by-id.js";

/** Re-reads after a conflicting write before giving up; a conflict means another writer just moved the alert. */
const CONFLICT_RETRIES = 5;

/**
 * How much earlier than the alert's firing an incident's creation may look and still be this
 * firing's incident: PagerDuty's clock and ours disagree by this much at most. An incident opened
 * further back belongs to an earlier episode, whose late acknowledge or resolve must not touch
 * the current one. (A flap shorter than this cannot be told apart; 30 s covers a poorly synced clock.)
 */
export const EPISODE_SKEW_MS = 30_000;

/**
 * Acknowledge and resolve from outside (PagerDuty v3 webhooks): each changes the alert and writes
 * its intent in one store commit, so ack channels and other channels hear about it durably. `at`
 * is when the vendor says it happened: the alert keeps the latest (transition.signal), and one
 * from before it, delivered late or retried after a failure, changes nothing. The
 * commit is against the version read; when an evaluation (on this replica or another) moved the
 * alert in between, the change is recomputed from the new state.
 */
export class StoreAlertControl implements AlertControl {
  private readonly monitors: ReadonlyMap<string, MonitorSpec>;
  private readonly manual: Set<string>;

  constructor(
    private readonly store: AlertStore & Pick<InboundEvents, "recordEmergencyResolved"> & Partial<Pick<InboundEvents, "lastEmergency">>,
    manifest: Manifest,
    /** Each committed transition is logged here, one line each. */
    private readonly logger?: Logger,
    /** The PagerDuty services a monitor pages (DeliveryService.pagerDutyServices); unknown without it. */
    private readonly pagerDutyServices?: (monitorId: string) => ReadonlySet<string>,
  ) {
    this.monitors = monitorsById(manifest);
    this.manual = new Set(manifest.monitors.filter((m) => m.check.kind === "manual").map((m) => m.id));
  }

  async acknowledge(dedupKey: string, by: string, at: number, incident: IncidentRef): Promise<ControlOutcome> {
    return (await this.apply(dedupKey, at, incident, (alert) => acknowledge(alert, by, at, this.rulesOf(alert.monitorId)))).outcome;
  }

  async unacknowledge(dedupKey: string, at: number, incident: IncidentRef): Promise<ControlOutcome> {
    return (await this.apply(dedupKey, at, incident, (alert) => unacknowledge(alert, at))).outcome;
  }

  async resolve(dedupKey: string, at: number, reason: string, incident: IncidentRef, by: string | null = null): Promise<ControlOutcome> {
    const { outcome, monitorId } = await this.apply(dedupKey, at, incident, (alert) => resolve(alert, { reason }, at, this.rulesOf(alert.monitorId), by));
    // An emergency resolved in PagerDuty is over: the manual check must not fire again on its next tick.
    if (outcome === "applied" && monitorId && this.manual.has(monitorId)) await this.store.recordEmergencyResolved?.(monitorId, at);
    return outcome;
  }

  private async apply(
    dedupKey: string,
    at: number,
    incident: IncidentRef,
    change: (alert: Alert) => Transition,
  ): Promise<{ outcome: ControlOutcome; monitorId?: string }> {
    for (let attempt = 0; ; attempt++) {
      const read = await this.store.readAlert(dedupKey);
      if (!read || read.alert.state !== "firing") return { outcome: "not-firing" };
      if (!this.ofItsServices(read.alert.monitorId, incident)) return { outcome: "other-service" };
      if (!ofCurrentFiring(read.alert, incident.openedAt, await this.pressedAt(read.alert))) return { outcome: "earlier-episode" };
      if (isLateSignal(read.alert, at)) return { outcome: "out-of-order" };
      const t = signal(read.alert, at, change);
      const outcome = await this.store.commitAlerts({ alerts: [t.alert], readVersions: { [dedupKey]: read.version }, intents: t.intents, events: t.events, at });
      if (outcome.kind === "committed") {
        if (this.logger) logAlertEvents(this.logger, t.events);
        return { outcome: "applied", monitorId: read.alert.monitorId };
      }
      if (attempt >= CONFLICT_RETRIES) throw new Error(`alert ${dedupKey} kept changing under the ${attempt + 1} attempts to update it`);
    }
  }

  /**
   * PagerDuty keeps an incident key unique within one service only, and the webhook subscription
   * covers the account: an incident on another service with the same key (another project's
   * monitor of the same id, or anyone with an integration key making one) is not this alert's.
   * When the runtime knows which services the monitor pages, the incident must be on one of them.
   */
  private ofItsServices(monitorId: string, incident: IncidentRef): boolean {
    if (!incident.serviceId || !this.pagerDutyServices) return true;
    const known = this.pagerDutyServices(monitorId);
    return known.size === 0 || known.has(incident.serviceId);
  }

  /**
   * An emergency's incident is opened at the press, and its alert fires on the manual monitor's
   * next tick, up to a schedule period later: the press that began this firing dates the episode.
   */
  private async pressedAt(alert: Alert): Promise<number | null> {
    if (!this.manual.has(alert.monitorId) || alert.firedAt === null || !this.store.lastEmergency) return null;
    const press = await this.store.lastEmergency(alert.monitorId);
    return press !== null && press.at <= alert.firedAt ? press.at : null;
  }

  private rulesOf(monitorId: string): IntentRules {
    const monitor = this.monitors.get(monitorId);
    return monitor ? { severity: monitor.severity, labels: monitor.labels } : { severity: "critical", labels: {} };
  }
}

/**
 * Whether an incident opened at `incidentOpenedAt` can be the one this firing alert opened (for an
 * emergency, the one its press opened).
 */
function ofCurrentFiring(alert: Alert, incidentOpenedAt: number, pressedAt: number | null): boolean {
  if (alert.firedAt === null) return true;
  return incidentOpenedAt >= Math.min(alert.firedAt, pressedAt ?? alert.firedAt) - EPISODE_SKEW_MS;
}
