/**
 * A replica's claim on a tick (scale-out: the BullMQ job lock, renewed while the tick runs). While
 * it lasts no other replica runs the tick, so an outcome that could not be written (a Redis blip)
 * is written again until then rather than lost. Embedded mode has no claim.
 */
export interface TickClaim {
  /** Clock ms until which the claim surely holds; it may be extended while the tick runs. */
  heldUntil(): number;
}
