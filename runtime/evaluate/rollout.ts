import type { Manifest } from "../../sdk/manifest/schema.js";
import type { AlertEvent } from "../alerts/alert-event.js";
import type { AlertStore } from "../alerts/alert-store.js";
import type { Alert } from "../alerts/state.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { resolve } from "../alerts/transition.js";
import { truncate } from "../text/truncate.js";
import { SUMMARY_MAX } from "./summary.js";

/** What a manifest rollout did to the stored alerts. */
export interface RolloutReport {
  /** Open alerts of renamed monitors (`previousIds`), now the new monitor's, dedup keys kept: `old -> new`. */
  carried: string[];
  /** Firing alerts of monitors that left the manifest, resolved with a resolve intent. */
  resolved: string[];
  /** Pending alerts of removed monitors, dropped silently (they never notified). */
  dropped: string[];
  /** The transitions committed (resolved, cleared), for the log. */
  events: AlertEvent[];
}

/**
 * Reconciles stored alerts with a new manifest at start-up. Alerts of removed monitors are resolved
 * explicitly (a resolve intent, so nobody is left with a zombie incident). Alerts of kept monitors
 * stay as they are: a label set the changed monitor still returns keeps its alert, one it no longer
 * returns resolves on the next evaluation as a vanished series. Open alerts of a monitor that a
 * new one lists in `previousIds` become the new monitor's, dedup keys and sequence kept.
 * Rows are kept (inactive) so intent sequence numbers never repeat if a monitor id comes back.
 */
export async function rollOut(store: AlertStore, manifest: Manifest, now: number): Promise<RolloutReport> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await rollOutOnce(store, manifest, now);
    if (outcome !== "conflict") return outcome;
    // Another replica of the same manifest rolled the same alert out first: re-read, and find it done.
    if (attempt >= ROLLOUT_RETRIES) throw new Error("alert rollout kept conflicting with other writers");
  }
}

/** Re-reads after a conflicting commit before giving up. */
const ROLLOUT_RETRIES = 5;

async function rollOutOnce(store: AlertStore, manifest: Manifest, now: number): Promise<RolloutReport | "conflict"> {
  const kept = new Set(manifest.monitors.map((m) => m.id));
  const renamedTo = new Map<string, string>();
  for (const m of manifest.monitors) for (const old of m.previousIds ?? []) if (!kept.has(old) && !renamedTo.has(old)) renamedTo.set(old, m.id);
  const changed: Alert[] = [];
  const intents: NotificationIntent[] = [];
  const events: AlertEvent[] = [];
  const report: RolloutReport = { carried: [], resolved: [], dropped: [], events };
  const readVersions: Record<string, number> = {};
  for (const listed of await store.allAlerts()) {
    if (kept.has(listed.monitorId) || listed.state === "inactive") continue;
    // The versioned read is what the commit is checked against: replicas starting together with
    // the same manifest resolve a removed monitor's alert once, not once each.
    const read = await store.readAlert(listed.dedupKey);
    if (!read || read.alert.state === "inactive") continue;
    const alert = read.alert;
    readVersions[alert.dedupKey] = read.version;
    const heir = renamedTo.get(alert.monitorId);
    if (heir !== undefined) {
      // The open incident stays open under its dedup key: the renamed monitor's ticks find the
      // alert by its label set, so it is neither re-triggered nor resolved as removed.
      changed.push({ ...alert, monitorId: heir, updatedAt: now });
      report.carried.push(`${alert.monitorId} -> ${heir}`);
      continue;
    }
    const t = resolve(
      { ...alert, summary: removedSummary(alert.summary) },
      { reason: "monitor removed from the manifest" },
      now,
      // The removed monitor's severity left with it; a resolve closes whatever the trigger opened.
      { severity: "info", labels: {} },
    );
    // Marked as evaluated now: a tick of the removed monitor that an old replica started before
    // this rollout (a rolling deploy, a slow failing check) is older news and cannot fire it again,
    // which would leave an incident open that nothing resolves any more.
    changed.push({ ...t.alert, evaluatedAt: now });
    intents.push(...t.intents);
    events.push(...t.events);
    (alert.state === "firing" ? report.resolved : report.dropped).push(alert.dedupKey);
  }
  if (changed.length > 0) {
    const outcome = await store.commitAlerts({ alerts: changed, readVersions, intents, events, at: now });
    if (outcome.kind === "conflict") return "conflict";
  }
  return report;
}

const REMOVED_NOTE = " (monitor removed from the manifest)";

/**
 * The resolve's summary: the alert's, cut so that the reason still fits in SUMMARY_MAX. A summary
 * already at the cap lost the reason when a channel cut the page to its limit.
 */
function removedSummary(summary: string): string {
  return truncate(summary, SUMMARY_MAX - REMOVED_NOTE.length) + REMOVED_NOTE;
}
