import type { Manifest } from "../../sdk/manifest/schema.js";
import type { AlertControl, ControlOutcome } from "../alerts/intent.js";
import type { Alert } from "../alerts/state.js";
import { acknowledge, resolve, type IntentRules } from "../alerts/transition.js";
import type { SqliteStore } from "./sqlite-store.js";

/**
 * How much earlier than the alert's firing an incident's creation may look and still be this
 * firing's incident: PagerDuty's clock and ours disagree by this much at most. An incident opened
 * further back belongs to an earlier episode, whose late acknowledge or resolve must not touch
 * the current one. (A flap shorter than this cannot be told apart; 30 s covers a poorly synced clock.)
 */
export const EPISODE_SKEW_MS = 30_000;

/**
 * Acknowledge and resolve from outside (PagerDuty v3 webhooks): each changes the alert and writes
 * its intent in one transaction, so ack channels and other channels hear about it durably.
 */
export class StoreAlertControl implements AlertControl {
  private readonly rules: Map<string, IntentRules>;
  private readonly manual: Set<string>;

  constructor(
    private readonly store: SqliteStore,
    manifest: Manifest,
  ) {
    this.rules = new Map(manifest.monitors.map((m) => [m.id, { severity: m.severity, labels: m.labels }]));
    this.manual = new Set(manifest.monitors.filter((m) => m.check.kind === "manual").map((m) => m.id));
  }

  acknowledge(dedupKey: string, by: string, at: number, incidentOpenedAt: number): ControlOutcome {
    const alert = this.store.alertByKey(dedupKey);
    if (!alert || alert.state !== "firing") return "not-firing";
    if (!ofCurrentFiring(alert, incidentOpenedAt)) return "earlier-episode";
    const t = acknowledge(alert, by, at, this.rulesOf(alert.monitorId));
    this.store.commitAlerts([t.alert], t.intents, at);
    return "applied";
  }

  resolve(dedupKey: string, at: number, reason: string, incidentOpenedAt: number): ControlOutcome {
    const alert = this.store.alertByKey(dedupKey);
    if (!alert || alert.state !== "firing") return "not-firing";
    if (!ofCurrentFiring(alert, incidentOpenedAt)) return "earlier-episode";
    const t = resolve(alert, { reason }, at, this.rulesOf(alert.monitorId));
    this.store.commitAlerts([t.alert], t.intents, at);
    // An emergency resolved in PagerDuty is over: the manual check must not fire again on its next tick.
    if (this.manual.has(alert.monitorId)) this.store.recordEmergencyResolved(alert.monitorId, at);
    return "applied";
  }

  private rulesOf(monitorId: string): IntentRules {
    return this.rules.get(monitorId) ?? { severity: "critical", labels: {} };
  }
}

/** Whether an incident opened at `incidentOpenedAt` can be the one this firing alert opened. */
function ofCurrentFiring(alert: Alert, incidentOpenedAt: number): boolean {
  return alert.firedAt === null || incidentOpenedAt >= alert.firedAt - EPISODE_SKEW_MS;
}
