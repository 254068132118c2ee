import { durationMs } from "../../../sdk/duration.js";
import type { Stage } from "../pipeline.js";

/**
 * Applies a channel's `groupWait` and `groupInterval` per (channel, monitor): the first
 * notification of a group waits `groupWait` so that a burst goes out together; later ones inside
 * `groupInterval` of the last flush wait for the next interval boundary. Only timing is held in
 * memory: each delivery row carries its own due time, so a restart loses no notification.
 */
export function groupStage(): Stage {
  const lastFlush = new Map<string, number>();
  return async (ctx, items) => {
    for (const item of items) {
      if (item.destination.kind !== "channel") continue;
      const { groupWait, groupInterval } = item.destination.channel;
      if (groupWait === null && groupInterval === null) continue;
      const key = `${item.destination.id}\u0000${item.intent.monitorId}`;
      const wait = groupWait === null ? 0 : durationMs(groupWait);
      const interval = groupInterval === null ? 0 : durationMs(groupInterval);
      const previous = lastFlush.get(key);
      const due = previous !== undefined && ctx.now < previous + interval ? previous + interval : ctx.now + wait;
      item.notBefore = Math.max(item.notBefore, due);
      lastFlush.set(key, item.notBefore);
    }
    return items;
  };
}
