import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../runtime/support/child-process.js";
import { replicaFleet } from "./replica-fleet.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { hitBundle, redisAnswers } from "./support.js";

const available = await redisAnswers();
const scripted = (id: string, timeout: string) =>
  monitorSpec({ id, schedule: { kind: "every", every: "1s" }, check: { kind: "script", timeout }, code: { condition: false, summary: false, run: true, extract: false } });

/**
 * Each rollout that changes a monitor makes a hand-off queue for the new manifest (BullMQ keeps a
 * thousand finished jobs and ten thousand events per queue). Deploys come and go for years: the
 * queues of manifests no replica runs any more must not stay in Redis.
 */
describe.skipIf(!available)("hand-off queues across deploys", () => {
  const hashes = new Map<string, string>();
  const fleet = replicaFleet("handoff-queues", async (dir, target) => {
    for (const [version, timeout] of [["v1", "2s"], ["v2", "3s"], ["v3", "4s"]] as const) {
      const manifest = manifestOf([scripted("changed", timeout)]);
      hashes.set(version, manifest.hash);
      await writeArtifact(join(dir, version), manifest, hitBundle(["changed"], target.port));
    }
  });
  const { prefix } = fleet;
  const replica = (version: string, name: string) => fleet.replica(version, name);
  /** Keys of hand-off queues, but those of the manifest still running (its replicas read them). */
  const handoffKeys = async (running = "") => {
    const tail = running.replace(/[^A-Za-z0-9]/g, "").slice(-16);
    return (await fleet.redis.keys(`${prefix}:bull:*--m-*`)).filter((k) => running === "" || !k.includes(`--m-${tail}:`));
  };

  it("removes the hand-off queue of a manifest once no replica runs it", async () => {
    const v1 = await replica("v1", "a");
    const v2 = await replica("v2", "b");
    // The old replica hands the new manifest's ticks of the changed monitor to v2's queue.
    await waitFor(async () => (await handoffKeys()).some((k) => k.endsWith(":completed")), 20_000, "a tick handed off");
    // The next deploy: v3 starts, v1 and v2 stop.
    const v3 = await replica("v3", "c");
    for (const child of [v1, v2]) child.proc.kill("SIGTERM");
    await Promise.all([v1, v2].map((c) => c.exited));
    const v3Hash = hashes.get("v3")!;
    await waitFor(async () => (await handoffKeys(v3Hash)).length === 0, 15_000, "no hand-off queue left").catch(() => undefined);
    expect(await handoffKeys(v3Hash)).toEqual([]);
    expect(Object.values(await fleet.redis.hgetall(`${prefix}:handoff-queues`))).toEqual([v3Hash, v3Hash]);
    v3.proc.kill("SIGTERM");
    await v3.exited;
  }, 60_000);
});
