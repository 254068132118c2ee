/**
 * BullMQ reads each replica's own clock: a worker promotes every delayed tick its clock says is
 * due and schedules the next one from its own now. One replica an hour ahead runs every monitor's
 * ticks under tick times an hour ahead and leaves the job schedulers there: when it stops, the
 * others check nothing for that hour, and every alert refuses their (older) evaluations meanwhile.
 * So a replica whose clock disagrees with the reference takes no ticks. The reference is the
 * median of Redis's clock and every live replica's, a tie going to Redis's: one replica off is
 * outvoted by Redis and the others, and a Redis whose clock is off is outvoted by replicas that
 * agree with each other. A replica with no other live replica keeps taking ticks whichever clock is
 * off (it warns): stopping would leave nothing checked at all, and a replica that joins later with
 * the right time outvotes it and restarts the schedules it pushed ahead.
 */

/** A replica this far off the reference takes no ticks (ticks of others wait at most about this long for it). */
export const OFF_CLOCK_MS = 5_000;

/**
 * The reference clock's offset from Redis's (ms, positive: ahead), from the offsets of the live
 * replicas' clocks from Redis's.
 */
export function referenceOffset(replicaOffsets: readonly number[]): number {
  const all = [0, ...replicaOffsets.filter(Number.isFinite)].sort((a, b) => a - b);
  const middle = all.length >> 1;
  if (all.length % 2 === 1) return all[middle]!;
  const [low, high] = [all[middle - 1]!, all[middle]!];
  return Math.abs(low) <= Math.abs(high) ? low : high;
}

/** How far this replica's clock is off the reference (ms, positive: ahead); 0 within OFF_CLOCK_MS. */
export function offClockMs(ownOffset: number, otherOffsets: readonly number[]): number {
  if (otherOffsets.length === 0) return 0;
  const off = ownOffset - referenceOffset([ownOffset, ...otherOffsets]);
  return Math.abs(off) < OFF_CLOCK_MS ? 0 : off;
}
