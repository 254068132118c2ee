import type { Logger } from "pino";
import type { Notification } from "./types.js";

/** What every stage receives besides its notifications: the time, a logger, and where dropped items go. */
export interface StageContext {
  now: number;
  logger: Logger;
  /** Records why a notification goes no further (silenced, inhibited, already sent). */
  drop(notification: Notification, reason: string): void;
}

/**
 * One step of the notification pipeline (the Alertmanager `notify.Stage` model): takes the
 * notifications that reached it and returns those that go on. Combinators are stages too.
 */
export type Stage = (ctx: StageContext, items: Notification[]) => Promise<Notification[]>;

/** Runs stages one after the other; a stage sees only what the previous one passed on. */
export function inOrder(...stages: Stage[]): Stage {
  return async (ctx, items) => {
    let current = items;
    for (const stage of stages) {
      if (current.length === 0) break;
      current = await stage(ctx, current);
    }
    return current;
  };
}

/** Runs every stage on the same input concurrently and passes on everything they return. */
export function fanOut(...stages: Stage[]): Stage {
  return async (ctx, items) => {
    const results = await Promise.all(stages.map((stage) => stage(ctx, items)));
    return results.flat();
  };
}

/**
 * Sends each notification to the stage named by `keyOf` (per channel kind, per receiver); the
 * partitions run concurrently. A notification whose key has no stage is dropped with a reason.
 */
export function route(keyOf: (item: Notification) => string, stages: Record<string, Stage>): Stage {
  return async (ctx, items) => {
    const partitions = new Map<string, Notification[]>();
    for (const item of items) {
      const key = keyOf(item);
      const list = partitions.get(key) ?? [];
      list.push(item);
      partitions.set(key, list);
    }
    const results = await Promise.all(
      [...partitions].map(([key, list]) => {
        const stage = stages[key];
        if (!stage) {
          for (const item of list) ctx.drop(item, `no stage for ${key}`);
          return Promise.resolve([]);
        }
        return stage(ctx, list);
      }),
    );
    return results.flat();
  };
}
