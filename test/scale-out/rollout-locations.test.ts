import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
const geo = (timeout: string) =>
  monitorSpec({
    id: "geo",
    schedule: { kind: "every", every: "1s" },
    check: { kind: "script", timeout },
    code: { condition: false, summary: false, run: true, extract: false },
    locations: ["eu-west", "us-east"],
    quorum: 2,
  });

/**
 * A deploy rolled out one region at a time: us-east already runs v2 (which changed the monitor),
 * eu-west still runs v1. A tick of eu-west scheduled by v2 has no v2 replica in eu-west to run it.
 */
describe.skipIf(!available)("rollout region by region with a quorum monitor", () => {
  let dir: string;
  let script: string;
  let redis: Redis;
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollout-locations-"));
    script = await bundleChild("rollout-locations");
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await target.start();
    await writeArtifact(join(dir, "v1"), manifestOf([geo("2s")]), hitBundle(["geo"], target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([geo("3s")]), hitBundle(["geo"], target.port));
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  const replica = async (version: string, location: string) => {
    const child = await startChild(script, {
      WK_CHILD_ARTIFACT: join(dir, version),
      WK_CHILD_STATE: join(dir, `state-${version}-${location}`),
      WK_CHILD_REDIS: TEST_REDIS_URL,
      WK_CHILD_REDIS_PREFIX: prefix,
      WK_CHILD_LOCATION: location,
      WK_CHILD_SPREAD_MS: "0",
      WK_CHILD_STALL_MS: "1000",
      WK_CHILD_DELIVERY: "hold",
      WK_LOG_LEVEL: "warn",
    });
    children.push(child);
    return child;
  };

  it("goes on checking from both regions while they run different versions", async () => {
    const eu = await replica("v1", "eu-west");
    const us = await replica("v2", "us-east");
    // From once v2 owns the schedules (its first heartbeat) until shortly before the end.
    const from = Date.now() + 3_000;
    await new Promise((r) => setTimeout(r, 10_000));
    const to = Date.now() - 2_000;
    for (const child of [eu, us]) child.proc.kill("SIGTERM");
    await Promise.all([eu, us].map((c) => c.exited));
    const checked = (location: string) => [...(target.hits.get(`geo@${location}`)?.keys() ?? [])].filter((t) => t >= from && t <= to).length;
    // Five seconds of one-second ticks: each region checked nearly all of them.
    expect({ euWest: checked("eu-west") >= 4, usEast: checked("us-east") >= 4 }).toEqual({ euWest: true, usEast: true });
  }, 60_000);
});
