import { createHash } from "node:crypto";

/**
 * A deterministic offset in [0, window) for a monitor: the same on every restart and every replica,
 * and spread evenly, so 10,000 monitors on one cron start over the window instead of in one burst.
 */
export function spreadOffset(monitorId: string, windowMs: number): number {
  if (windowMs <= 1) return 0;
  const digest = createHash("sha256").update(monitorId).digest();
  return digest.readUInt32BE(0) % Math.floor(windowMs);
}
