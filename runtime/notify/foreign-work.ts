import type { Manifest } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { monitorsById } from "../monitors-by-id.js";

/**
 * How long a replica leaves notification work it cannot do right for a replica that can. During a
 * rolling deploy the old and the new version share the outbox and the delivery queue: an old
 * replica that meets a monitor or a destination only the new manifest has would drop the
 * notification (no route), skip it (no destination) or send it without the monitor's routing and
 * runbook. A minute covers a rollout's overlap; past it the work is done as the manifest says.
 */
export const FOREIGN_WORK_WAIT_MS = 60_000;

/** What a replica's manifest knows, for notification work from another version's replicas. */
export interface ForeignWork {
  /** Why this replica's manifest cannot handle `intent` (to `destinationId`), or null when it can. */
  whyForeign(intent: NotificationIntent, destinationId?: string): string | null;
  /** Whether work that became due at `since` is still left to a replica that knows it, at `now`. */
  stillLeft(since: number, now: number): boolean;
}

/** `knowsDestination`: whether the replica's destinations include an id. `waitMs` 0: never leave work (embedded mode). */
export function foreignWork(manifest: Manifest, knowsDestination: (id: string) => boolean, waitMs = FOREIGN_WORK_WAIT_MS): ForeignWork {
  const monitors = monitorsById(manifest);
  // A renamed monitor's old id is known: its heir routes it (route-stage.ts).
  const previous = new Set(manifest.monitors.flatMap((m) => m.previousIds ?? []));
  return {
    whyForeign(intent, destinationId) {
      // A resolve or an acknowledgement of a monitor gone from the manifest follows its trigger
      // (where it was paged), whichever manifest: only a page is routed by the monitor's spec.
      const routedBySpec = intent.type === "trigger" || intent.type === "remind";
      if (routedBySpec && !monitors.has(intent.monitorId) && !previous.has(intent.monitorId)) return `monitor ${intent.monitorId} is not in this replica's manifest`;
      if (destinationId !== undefined && !knowsDestination(destinationId)) return `destination ${destinationId} is not in this replica's manifest`;
      const unknown = intent.onlyTo?.find((id) => !knowsDestination(id));
      if (unknown !== undefined) return `destination ${unknown} is not in this replica's manifest`;
      return null;
    },
    stillLeft: (since, now) => now - since < waitMs,
  };
}
