import { SlidingWindowLimiter } from "./rate-limit.js";

/**
 * Pings one heartbeat writes to the store in any minute. A job pings once per run (twice with a
 * start signal); a fleet of hosts sharing one heartbeat, or a job retrying, stays far below.
 */
export const HEARTBEAT_PINGS_PER_MINUTE = 60;

/** Past the limit a ping is still stamped, at most this often: the heartbeat is never staler than this. */
const STAMP_WHILE_LIMITED_MS = 1_000;

/** What to do with a ping whose token (if any) was right: whether it is written, and whether it was past the limit. */
export interface PingTaken {
  stamp: boolean;
  limited: boolean;
}

/**
 * Pings per heartbeat, counted in this runtime's memory by monitor id: each heartbeat has its own
 * token, so a token leaked and hammered from the internet is held back alone, never another job
 * behind the same NAT, and wrong tokens (refused before they are counted) use up nothing. Past the
 * limit a ping is still taken and answered as any other, but stamped once a second at most: one
 * ping per interval is all a heartbeat needs, so the limit bounds the store's writes without ever
 * making a live job look dead, and a job's `curl --fail` never reads a flood it did not make as its
 * own failure. Time is an argument.
 */
export class HeartbeatPings {
  private readonly limiter: SlidingWindowLimiter;
  /** When each heartbeat was last stamped (only ids of heartbeat monitors reach it). */
  private readonly stamped = new Map<string, number>();

  constructor(perMinute = HEARTBEAT_PINGS_PER_MINUTE) {
    this.limiter = new SlidingWindowLimiter(perMinute, 60_000);
  }

  take(monitorId: string, now: number): PingTaken {
    const counted = this.limiter.attempt(monitorId, now);
    const last = this.stamped.get(monitorId);
    const stamp = counted.ok || last === undefined || now - last >= STAMP_WHILE_LIMITED_MS || now < last;
    if (stamp) this.stamped.set(monitorId, now);
    return { stamp, limited: !counted.ok };
  }
}
