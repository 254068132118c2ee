import type { Awaitable } from "../awaitable.js";
import { UNREADABLE_INTENT, type DeliveryRecord } from "./delivery-queue.js";

/** An alert's deliveries, oldest first (the store's). */
export interface AlertDeliveries {
  deliveriesForAlert(dedupKey: string): Awaitable<DeliveryRecord[]>;
}

/**
 * Whether a trigger (or reminder) of the alert may have reached `destination` although the
 * notification log does not say it was sent there: an attempt was made since the last resolve sent
 * there (the vendor timed out or failed, or the runtime was killed or stopped mid-request) and none
 * succeeded. The vendor may have opened an incident that only a resolve closes; a resolve of an
 * incident that is not open changes nothing at the vendor. A last attempt the vendor answered with a
 * 4xx was refused (nothing opened), and a delivery set aside unread was never sent.
 */
export function triggerMayHaveReached(deliveries: readonly DeliveryRecord[], destination: string): boolean {
  let tried = false;
  for (const d of deliveries) {
    if (d.destination !== destination) continue;
    if (d.type === "resolve" && d.status === "sent") tried = false;
    else if ((d.type === "trigger" || d.type === "remind") && d.attempts > 0 && d.status !== "sent" && mayHaveReached(d)) tried = true;
  }
  return tried;
}

/**
 * Whether a trigger (or reminder) of the alert to `destination` is still waiting to be sent. In a
 * rolling deploy a replica of the old version, whose manifest still has the monitor, may yet send
 * it (after a Retry-After, a backoff): a resolve routed there waits behind it in its lane, and the
 * dedup stage lets it go only if the trigger turns out sent or tried.
 */
export function triggerPending(deliveries: readonly DeliveryRecord[], destination: string): boolean {
  return deliveries.some((d) => d.destination === destination && (d.type === "trigger" || d.type === "remind") && d.status === "pending");
}

function mayHaveReached(d: DeliveryRecord): boolean {
  if (d.lastError?.startsWith(UNREADABLE_INTENT)) return false;
  return d.vendorStatus === null || d.vendorStatus >= 500;
}
