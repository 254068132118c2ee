import type { Manifest, Severity } from "../../sdk/manifest/schema.js";
import type { AlertControl } from "../alerts/intent.js";
import { acknowledge, resolve } from "../alerts/transition.js";
import type { SqliteStore } from "./sqlite-store.js";

/**
 * Acknowledge and resolve from outside (PagerDuty v3 webhooks): each changes the alert and writes
 * its intent in one transaction, so ack channels and other channels hear about it durably.
 */
export class StoreAlertControl implements AlertControl {
  private readonly severity: Map<string, Severity>;
  private readonly manual: Set<string>;

  constructor(
    private readonly store: SqliteStore,
    manifest: Manifest,
  ) {
    this.severity = new Map(manifest.monitors.map((m) => [m.id, m.severity]));
    this.manual = new Set(manifest.monitors.filter((m) => m.check.kind === "manual").map((m) => m.id));
  }

  acknowledge(dedupKey: string, by: string, at: number): boolean {
    const alert = this.store.alertByKey(dedupKey);
    if (!alert || alert.state !== "firing") return false;
    const t = acknowledge(alert, by, at, { severity: this.severityOf(alert.monitorId) });
    this.store.commitAlerts([t.alert], t.intents, at);
    return true;
  }

  resolve(dedupKey: string, at: number, reason: string): boolean {
    const alert = this.store.alertByKey(dedupKey);
    if (!alert || alert.state !== "firing") return false;
    const t = resolve(alert, { reason }, at, { severity: this.severityOf(alert.monitorId) });
    this.store.commitAlerts([t.alert], t.intents, at);
    // An emergency resolved in PagerDuty is over: the manual check must not fire again on its next tick.
    if (this.manual.has(alert.monitorId)) this.store.recordEmergencyResolved(alert.monitorId, at);
    return true;
  }

  private severityOf(monitorId: string): Severity {
    return this.severity.get(monitorId) ?? "critical";
  }
}
