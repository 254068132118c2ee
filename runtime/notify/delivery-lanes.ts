import type { StoredIntent } from "../alerts/intent.js";
import type { DeliveryRow, DeliveryStatus, NewDelivery } from "./delivery-queue.js";

/** A lane head that needs a queue job: its delivery id and when it is due. */
export interface LaneHead {
  id: number;
  due: number;
}

/** A delivery as a queue job finds it when it runs. */
export interface DeliveryState {
  row: DeliveryRow;
  status: DeliveryStatus;
  /** The oldest pending delivery of its (dedup key, destination): only a head may be sent. */
  head: boolean;
  /** Another worker's claim on it ends then; null when unclaimed. */
  claimedUntil: number | null;
}

/**
 * What queued delivery (BullMQ jobs over a shared store) needs besides the DeliveryQueue: which
 * deliveries became lane heads, so that exactly those get a job, and the state a job acts on.
 */
export interface DeliveryLanes {
  /**
   * `DeliveryQueue.dispatchIntent`, returning the deliveries that became lane heads; null, with
   * nothing written, when the intent was already dispatched (by another replica).
   */
  dispatchIntentHeads(stored: StoredIntent, deliveries: NewDelivery[], now: number): Promise<LaneHead[] | null>;
  deliveryState(id: number): Promise<DeliveryState | null>;
  /** The current head of a lane, or null when the lane is empty. */
  laneHead(dedupKey: string, destination: string): Promise<LaneHead | null>;
}
