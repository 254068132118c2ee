import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { bundleChild, startChild, type RunningChild } from "../runtime/support/child-process.js";
import { dropPrefix, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

/** How a replica of the fleet starts: its environment beyond the fleet's, and node's own options. */
export interface ReplicaOptions {
  env?: Record<string, string>;
  nodeArgs?: string[];
}

/**
 * Replicas of the test runtime child on the shared Redis under one key prefix, with a folder for
 * their artifacts and state and a target their script checks hit. The hooks that set it up and
 * take it down (children killed, keys dropped, files removed) are registered on the describe block
 * that calls this; `artifacts` writes the versions the replicas run into the folder.
 */
export function replicaFleet(name: string, artifacts: (dir: string, target: TickTarget) => Promise<void>) {
  const children: RunningChild[] = [];
  const fleet = {
    dir: "",
    script: "",
    prefix: testPrefix(),
    target: new TickTarget(),
    redis: null as unknown as Redis,
    /** Starts a replica of the artifact `version`, with its own state folder `state-{stateName}`; ticks are not spread, deliveries held. */
    async replica(version: string, stateName: string, options: ReplicaOptions = {}): Promise<RunningChild> {
      const env = {
        WK_CHILD_ARTIFACT: join(fleet.dir, version),
        WK_CHILD_STATE: join(fleet.dir, `state-${stateName}`),
        WK_CHILD_REDIS: TEST_REDIS_URL,
        WK_CHILD_REDIS_PREFIX: fleet.prefix,
        WK_CHILD_SPREAD_MS: "0",
        WK_CHILD_STALL_MS: "1000",
        WK_CHILD_DELIVERY: "hold",
        WK_LOG_LEVEL: "warn",
        ...options.env,
      };
      const child = await startChild(fleet.script, env, 20_000, options.nodeArgs ?? []);
      children.push(child);
      return child;
    },
    /** The types of a monitor's intents, in the order they were queued. */
    async intents(monitorId: string): Promise<string[]> {
      const last = Number((await fleet.redis.get(`${fleet.prefix}:outbox:seq`)) ?? 0);
      const out: string[] = [];
      for (let seq = 1; seq <= last; seq++) {
        const i = JSON.parse((await fleet.redis.hget(`${fleet.prefix}:outbox:item:${seq}`, "i")) ?? "null") as { monitorId: string; type: string } | null;
        if (i?.monitorId === monitorId) out.push(i.type);
      }
      return out;
    },
  };

  beforeAll(async () => {
    fleet.dir = await mkdtemp(join(tmpdir(), `wk-${name}-`));
    fleet.script = await bundleChild(name);
    fleet.redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await fleet.target.start();
    await artifacts(fleet.dir, fleet.target);
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await fleet.target.stop();
    await dropPrefix(TEST_REDIS_URL, fleet.prefix);
    fleet.redis?.disconnect();
    await rm(fleet.dir, { recursive: true, force: true });
    if (fleet.script) await rm(fleet.script, { force: true });
  });

  return fleet;
}
