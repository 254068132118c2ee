import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../runtime/support/child-process.js";
import { replicaFleet } from "./replica-fleet.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { hitBundle, redisAnswers, scriptCheck } from "./support.js";

const available = await redisAnswers();
const scripted = (id: string) => monitorSpec({ id, schedule: { kind: "every", every: "2s" }, ...scriptCheck });

/**
 * A rollback during a rolling deploy: v2 added a monitor that is firing; the v1 replicas, started
 * while v2's were still up (or never stopped), take the schedules back once v2's replicas are gone.
 */
describe.skipIf(!available)("rollback while a monitor only the newer manifest has is firing", () => {
  const fleet = replicaFleet("rollback-firing", async (dir, target) => {
    const ids = ["kept", "added"];
    await writeArtifact(join(dir, "v1"), manifestOf([scripted("kept")]), hitBundle(ids, target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([scripted("kept"), scripted("added")]), hitBundle(ids, target.port));
  });
  const { target } = fleet;
  const replica = (version: string, name: string) => fleet.replica(version, name);
  /** The types of the added monitor's intents, in the order they were queued. */
  const intents = () => fleet.intents("added");

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
