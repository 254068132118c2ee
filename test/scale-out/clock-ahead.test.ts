import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { replicaFleet } from "./replica-fleet.js";
import { hitBundle, redisAnswers, scriptCheck } from "./support.js";

const available = await redisAnswers();
const AHEAD_MS = 60 * 60_000;

/** One monitor ticking every 2 s: a script check that tells the target its tick time. */
const tock = monitorSpec({ id: "tock", schedule: { kind: "every", every: "2s" }, ...scriptCheck });

/** Node's own clock an hour ahead, as on a machine whose NTP is broken: BullMQ reads it too. */
const clockAhead = `data:text/javascript,${encodeURIComponent(`const now = Date.now; Date.now = () => now() + ${AHEAD_MS}; const D = Date; globalThis.Date = class extends D { constructor(...a) { if (a.length === 0) super(Date.now()); else super(...a); } static now() { return now() + ${AHEAD_MS}; } };`)}`;

/**
 * BullMQ reads the process's own clock: a replica whose machine clock is an hour ahead would run
 * every tick under a tick time an hour ahead and leave the job schedulers there, so the replicas
 * with the right time would check nothing for an hour once it stopped.
 */
describe.skipIf(!available)("a replica whose machine clock is an hour ahead", () => {
  const fleet = replicaFleet("clock-ahead", (dir, target) =>
    writeArtifact(join(dir, "artifact"), manifestOf([tock]), hitBundle(["tock"], target.port)),
  );
  const { target } = fleet;
  const replica = (name: string, nodeArgs: string[] = []) => fleet.replica("artifact", name, { nodeArgs });

  it("neither moves the monitors' ticks an hour ahead nor leaves the others without ticks when it stops", async () => {
    const good = await replica("good");
    await waitFor(() => (target.hits.get("tock")?.size ?? 0) >= 2, 20_000, "the first ticks");
    const ahead = await replica("ahead", ["--import", clockAhead]);
    await new Promise((r) => setTimeout(r, 10_000));
    // It says why it takes no ticks, to anyone's probe.
    const ready = await fetch(`${ahead.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/clock is off/);
    ahead.proc.kill("SIGTERM");
    expect(await ahead.exited).toBe(0);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 8_000));
    const ticks = [...target.hits.get("tock")!.keys()];
    // No tick time far from the real time (the check sees its tick's time, not an hour later), and
    // the good replica goes on checking once the other has stopped.
    expect({
      future: ticks.filter((t) => t > Date.now() + 60_000).length,
      afterStop: ticks.filter((t) => t > stoppedAt + 1_000 && t <= Date.now()).length >= 2,
    }).toEqual({ future: 0, afterStop: true });
    good.proc.kill("SIGTERM");
    await good.exited;
  }, 90_000);
});

/**
 * A replica alone keeps taking ticks whichever clock is off (stopping it would leave nothing
 * checked), and so schedules the next ones on its fast clock. A replica with the right time that
 * takes over must not find every schedule an hour ahead.
 */
describe.skipIf(!available)("schedules a lone replica with a fast clock pushed ahead", () => {
  const fleet = replicaFleet("clock-ahead-alone", (dir, target) =>
    writeArtifact(join(dir, "artifact"), manifestOf([tock]), hitBundle(["tock"], target.port)),
  );
  const { target } = fleet;
  const replica = (name: string, nodeArgs: string[] = []) => fleet.replica("artifact", name, { nodeArgs });

  it("goes on checking while it is alone, and the replica with the right time that follows it checks at once", async () => {
    const ahead = await replica("ahead", ["--import", clockAhead]);
    await waitFor(() => (target.hits.get("tock")?.size ?? 0) >= 2, 20_000, "the lone replica's ticks");
    ahead.proc.kill("SIGTERM");
    expect(await ahead.exited).toBe(0);
    const stoppedAt = Date.now();
    const good = await replica("good");
    await new Promise((r) => setTimeout(r, 8_000));
    const now = Date.now();
    const onTime = [...target.hits.get("tock")!.keys()].filter((t) => t > stoppedAt && t <= now);
    expect({ onTime: onTime.length >= 2, restarted: good.stdout().includes("schedule started again") }).toEqual({ onTime: true, restarted: true });
    good.proc.kill("SIGTERM");
    await good.exited;
  }, 90_000);
});
