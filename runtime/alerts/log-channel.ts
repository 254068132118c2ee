import type { Logger } from "pino";
import type { OutboxReader } from "./intent.js";
import type { DeliveryService } from "../notify/contract.js";
import type { Clock, TimerHandle } from "../scheduler/clock.js";
import { LimitedWarnings } from "../limited-warnings.js";

/**
 * The built-in channel used when no delivery service is configured: each intent becomes one JSON
 * log line (`msg: "notification"`), then is marked dispatched. Same outbox contract as real delivery.
 */
export function createLogChannel(outbox: OutboxReader, logger: Logger, clock: Clock, pollMs = 500): DeliveryService & { drainOnce(): Promise<number> } {
  let timer: TimerHandle | null = null;
  let running = false;

  const drainOnce = async (): Promise<number> => {
    let sent = 0;
    for (let batch = await outbox.undispatched(200); batch.length > 0; batch = await outbox.undispatched(200)) {
      for (const stored of batch) {
        logger.info({ notification: stored.intent, seq: stored.seq }, "notification");
        await outbox.markDispatched(stored.seq, clock.now());
        sent++;
      }
    }
    return sent;
  };

  let draining: Promise<unknown> = Promise.resolve();
  // A store that is down fails every poll (twice a second): the first failure is logged at once, then one line a minute.
  const failures = new LimitedWarnings(logger, () => clock.now());
  const loop = () => {
    if (!running) return;
    draining = drainOnce()
      .catch((error: unknown) => failures.error("drain", { err: error }, "log channel could not drain the outbox; it tries again"))
      .finally(() => {
        if (running) timer = clock.setTimer(loop, pollMs);
      });
  };

  return {
    drainOnce,
    start() {
      running = true;
      loop();
    },
    async stop() {
      running = false;
      timer?.cancel();
      await draining;
      await drainOnce();
    },
    registerRoutes() {
      // The log channel takes no inbound webhooks.
    },
  };
}
