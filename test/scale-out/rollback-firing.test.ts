import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, redisAnswers, scriptCheck, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
const scripted = (id: string) => monitorSpec({ id, schedule: { kind: "every", every: "2s" }, ...scriptCheck });

/**
 * A rollback during a rolling deploy: v2 added a monitor that is firing; the v1 replicas, started
 * while v2's were still up (or never stopped), take the schedules back once v2's replicas are gone.
 */
describe.skipIf(!available)("rollback while a monitor only the newer manifest has is firing", () => {
  let dir: string;
  let script: string;
  let redis: Redis;
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollback-"));
    script = await bundleChild("rollback-firing");
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await target.start();
    const ids = ["kept", "added"];
    await writeArtifact(join(dir, "v1"), manifestOf([scripted("kept")]), hitBundle(ids, target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([scripted("kept"), scripted("added")]), hitBundle(ids, target.port));
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  const replica = async (version: string, name: string) => {
    const child = await startChild(script, {
      WK_CHILD_ARTIFACT: join(dir, version),
      WK_CHILD_STATE: join(dir, `state-${name}`),
      WK_CHILD_REDIS: TEST_REDIS_URL,
      WK_CHILD_REDIS_PREFIX: prefix,
      WK_CHILD_SPREAD_MS: "0",
      WK_CHILD_STALL_MS: "1000",
      WK_CHILD_DELIVERY: "hold",
      WK_LOG_LEVEL: "warn",
    });
    children.push(child);
    return child;
  };
  /** The types of the added monitor's intents, in the order they were queued. */
  const intents = async () => {
    const last = Number((await redis.get(`${prefix}:outbox:seq`)) ?? 0);
    const out: string[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const i = JSON.parse((await redis.hget(`${prefix}:outbox:item:${seq}`, "i")) ?? "null") as { monitorId: string; type: string } | null;
      if (i?.monitorId === "added") out.push(i.type);
    }
    return out;
  };

  it("resolves that monitor's alert once the older manifest owns the schedules again, instead of leaving its incident open", async () => {
    target.failing.add("added");
    const v1 = await replica("v1", "a");
    const v2 = await replica("v2", "b");
    await waitFor(async () => (await intents()).includes("trigger"), 20_000, "the added monitor's trigger");
    // The rollback: v2's replica stops, and v1's, never stopped, own the schedules again.
    v2.proc.kill("SIGTERM");
    expect(await v2.exited).toBe(0);
    await waitFor(async () => (await intents()).includes("resolve"), 15_000, "the added monitor's resolve").catch(() => undefined);
    v1.proc.kill("SIGTERM");
    await v1.exited;
    expect(await intents()).toEqual(["trigger", "resolve"]);
  }, 60_000);
});
