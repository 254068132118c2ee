import type { Manifest } from "../../sdk/manifest/schema.js";
import type { AlertStore } from "../alerts/alert-store.js";
import type { Alert } from "../alerts/state.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { resolve } from "../alerts/transition.js";

/** What a manifest rollout did to the stored alerts. */
export interface RolloutReport {
  /** Firing alerts of monitors that left the manifest, resolved with a resolve intent. */
  resolved: string[];
  /** Pending alerts of removed monitors, dropped silently (they never notified). */
  dropped: string[];
}

/**
 * Reconciles stored alerts with a new manifest at start-up. Alerts of removed monitors are resolved
 * explicitly (a resolve intent, so nobody is left with a zombie incident). Alerts of kept monitors
 * stay as they are: a label set the changed monitor still returns keeps its alert, one it no longer
 * returns resolves on the next evaluation as a vanished series.
 * Rows are kept (inactive) so intent sequence numbers never repeat if a monitor id comes back.
 */
export async function rollOut(store: AlertStore, manifest: Manifest, now: number): Promise<RolloutReport> {
  const kept = new Set(manifest.monitors.map((m) => m.id));
  const changed: Alert[] = [];
  const intents: NotificationIntent[] = [];
  const report: RolloutReport = { resolved: [], dropped: [] };
  for (const alert of await store.allAlerts()) {
    if (kept.has(alert.monitorId) || alert.state === "inactive") continue;
    const t = resolve(
      { ...alert, summary: `${alert.summary} (monitor removed from the manifest)` },
      { reason: "monitor removed from the manifest" },
      now,
      // The removed monitor's severity left with it; a resolve closes whatever the trigger opened.
      { severity: "info", labels: {} },
    );
    changed.push(t.alert);
    intents.push(...t.intents);
    (alert.state === "firing" ? report.resolved : report.dropped).push(alert.dedupKey);
  }
  // Unconditional: in embedded mode this runtime is the only writer (scale-out rollouts need versions).
  if (changed.length > 0) await store.commitAlerts({ alerts: changed, readVersions: {}, intents, at: now });
  return report;
}
