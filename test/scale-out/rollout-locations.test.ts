import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replicaFleet } from "./replica-fleet.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { hitBundle, redisAnswers } from "./support.js";

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
  const fleet = replicaFleet("rollout-locations", async (dir, target) => {
    await writeArtifact(join(dir, "v1"), manifestOf([geo("2s")]), hitBundle(["geo"], target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([geo("3s")]), hitBundle(["geo"], target.port));
  });
  const { target } = fleet;
  const replica = (version: string, location: string) => fleet.replica(version, `${version}-${location}`, { env: { WK_CHILD_LOCATION: location } });

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
