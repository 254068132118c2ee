import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../runtime/support/child-process.js";
import { replicaFleet } from "./replica-fleet.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { hitBundle, redisAnswers } from "./support.js";

const available = await redisAnswers();
const scripted = (id: string) =>
  monitorSpec({ id, schedule: { kind: "every", every: "2s" }, check: { kind: "script", timeout: "5s" }, code: { condition: false, summary: false, run: true, extract: false } });

/**
 * A rolling deploy removes a monitor that is firing, whose failing check is slow (a target timing
 * out is the usual way to fail): the new version's replica resolves its alert at start while the
 * old version's replica still has ticks of it under way.
 */
describe.skipIf(!available)("rollout that removes a firing monitor whose check is slow", () => {
  const fleet = replicaFleet("rollout-removed", async (dir, target) => {
    const ids = ["kept", "doomed"];
    await writeArtifact(join(dir, "v1"), manifestOf([scripted("kept"), scripted("doomed")]), hitBundle(ids, target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([scripted("kept")]), hitBundle(ids, target.port));
  });
  const { target } = fleet;
  const replica = (version: string, name: string) => fleet.replica(version, name);
  /** The types of the removed monitor's intents, in the order they were queued. */
  const intents = () => fleet.intents("doomed");

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
