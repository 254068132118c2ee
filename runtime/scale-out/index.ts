import type { Logger } from "pino";
import { durationMs } from "../../sdk/duration.js";
import { runtimeSettingsOf, type Manifest } from "../../sdk/manifest/schema.js";
import { replayWindowMs } from "../inbound/event-age.js";
import type { TickSchedulerFactory } from "../scheduler/tick-scheduler.js";
import type { Store } from "../store/port.js";
import { RedisStore } from "../store/redis/redis-store.js";
import { bullmqScheduling } from "./bullmq-scheduler.js";
import { connectChecked, parseRedisUrl } from "./redis-connection.js";

export { RedisConnectError } from "./redis-connection.js";
export { locationsOf } from "./schedules.js";
export { DEFAULT_LOCATION, isLocationName } from "./locations.js";

export interface ScaleOutSettings {
  url: string;
  prefix: string;
  location: string;
  stalledIntervalMs?: number;
}

/** What createRuntime needs for a replica: the Redis store and the BullMQ scheduler. */
export interface ScaleOut {
  openStore: (now: number) => Promise<Store>;
  scheduling: TickSchedulerFactory;
}

/**
 * Connects a replica to Redis (failing fast, naming the URL without its password) and returns the
 * store and scheduler that make it share the work with every replica on the same Redis and prefix.
 */
export async function openScaleOut(manifest: Manifest, s: ScaleOutSettings): Promise<ScaleOut> {
  const { options, shown } = parseRedisUrl(s.url);
  const storeConnection = await connectChecked(s.url);
  const control = await connectChecked(s.url).catch((error: unknown) => {
    storeConnection.disconnect();
    throw error;
  });
  const webhookReplayWindowMs = replayWindowMs(durationMs(runtimeSettingsOf(manifest).webhookMaxAge));
  const notices = noticeLog();
  const scheduling = bullmqScheduling({
    redis: options,
    shownUrl: shown,
    control,
    prefix: s.prefix,
    location: s.location,
    ...(s.stalledIntervalMs !== undefined ? { stalledIntervalMs: s.stalledIntervalMs } : {}),
  });
  return {
    openStore: async () => new RedisStore(storeConnection, { prefix: s.prefix, webhookReplayWindowMs, onNotice: notices.notice }),
    scheduling: async (deps) => {
      notices.attach(deps.logger);
      return scheduling(deps);
    },
  };
}

/**
 * The store's notices (a garbage alert key) go to the runtime's logger, which the replica learns
 * when its scheduler is made; the few said before that are kept and logged then.
 */
function noticeLog() {
  let logger: Logger | null = null;
  const early: Array<["warn" | "error", string]> = [];
  return {
    notice(level: "warn" | "error", message: string): void {
      if (logger) logger[level](message);
      else if (early.length < 100) early.push([level, message]);
    },
    attach(to: Logger): void {
      logger = to;
      for (const [level, message] of early.splice(0)) to[level](message);
    },
  };
}
