import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
const scripted = (id: string) =>
  monitorSpec({ id, schedule: { kind: "every", every: "2s" }, check: { kind: "script", timeout: "5s" }, code: { condition: false, summary: false, run: true, extract: false } });

/**
 * A rolling deploy removes a monitor that is firing, whose failing check is slow (a target timing
 * out is the usual way to fail): the new version's replica resolves its alert at start while the
 * old version's replica still has ticks of it under way.
 */
describe.skipIf(!available)("rollout that removes a firing monitor whose check is slow", () => {
  let dir: string;
  let script: string;
  let redis: Redis;
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollout-removed-"));
    script = await bundleChild("rollout-removed");
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await target.start();
    const ids = ["kept", "doomed"];
    await writeArtifact(join(dir, "v1"), manifestOf([scripted("kept"), scripted("doomed")]), hitBundle(ids, target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([scripted("kept")]), hitBundle(ids, target.port));
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
  /** The types of the removed monitor's intents, in the order they were queued. */
  const intents = async () => {
    const last = Number((await redis.get(`${prefix}:outbox:seq`)) ?? 0);
    const out: string[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const i = JSON.parse((await redis.hget(`${prefix}:outbox:item:${seq}`, "i")) ?? "null") as { monitorId: string; type: string } | null;
      if (i?.monitorId === "doomed") out.push(i.type);
    }
    return out;
  };

  it("ends with the alert resolved: an old replica's tick of the removed monitor started before the rollout does not fire it again", async () => {
    target.failing.add("doomed");
    target.slow.set("doomed", 3_000);
    const v1 = await replica("v1", "a");
    await waitFor(async () => (await intents()).includes("trigger"), 30_000, "the removed monitor's trigger");
    // Ticks of it are under way on the old replica (each takes 3 s, one starts every 2 s).
    await new Promise((r) => setTimeout(r, 1_000));
    const v2 = await replica("v2", "b");
    await waitFor(async () => (await intents()).includes("resolve"), 10_000, "the rollout's resolve");
    // Every tick the old replica had started has ended by now.
    await new Promise((r) => setTimeout(r, 8_000));
    for (const child of [v1, v2]) child.proc.kill("SIGTERM");
    await Promise.all([v1, v2].map((c) => c.exited));
    const types = await intents();
    expect(types.at(-1)).toBe("resolve");
    expect(types.filter((t) => t === "trigger")).toHaveLength(1);
  }, 90_000);
});
