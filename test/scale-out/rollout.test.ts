import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
/**
 * Ticks every 2 s: BullMQ makes a monitor's next job when a worker takes the current one and skips
 * a tick that is already past by then (docs/scale-out.md), so a runner hiccup of one period would
 * read as a lost tick. Two seconds keeps that well above any stall a loaded CI machine shows.
 */
const PERIOD = 2_000;
const periodic = { kind: "every", every: "2s" } as const;
const up = (t: number) => Math.ceil(t / PERIOD) * PERIOD;
const down = (t: number) => Math.floor(t / PERIOD) * PERIOD;
const count = (from: number, to: number) => (to - from) / PERIOD + 1;
const scripted = (id: string, timeout = "2s") =>
  monitorSpec({ id, schedule: periodic, check: { kind: "script", timeout }, code: { condition: false, summary: false, run: true, extract: false } });

/**
 * A rollout: replicas of manifest v1 run while a replica of v2 starts. v2 keeps `kept`, drops
 * `dropped`, adds `added` and changes `changed` (its timeout). Neither version double-schedules or
 * drops a monitor: every tick of a monitor runs once, by a replica that has its definition.
 */
describe.skipIf(!available)("rollout across manifest versions (separate processes)", () => {
  let dir: string;
  let script: string;
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollout-"));
    script = await bundleChild("rollout");
    await target.start();
    const ids = ["kept", "dropped", "added", "changed"];
    await writeArtifact(join(dir, "v1"), manifestOf([scripted("kept"), scripted("dropped"), scripted("changed", "2s")]), hitBundle(ids, target.port));
    await writeArtifact(join(dir, "v2"), manifestOf([scripted("kept"), scripted("added"), scripted("changed", "3s")]), hitBundle(ids, target.port));
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
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
      WK_LOG_LEVEL: "info",
    });
    children.push(child);
    return child;
  };
  const ticks = (id: string, from: number, to: number) => [...(target.hits.get(id) ?? new Map<number, number>()).entries()].filter(([t]) => t >= from && t <= to);
  /**
   * Waits until every tick of each monitor from `from` to `to` has run. A tick is asked for when it
   * is due, but a loaded machine may run it a second or two late; one that never runs leaves the
   * wait to time out and the count below to say which.
   */
  const ran = (ranges: Array<[id: string, from: number, to: number]>) =>
    waitFor(() => ranges.every(([id, from, to]) => ticks(id, from, to).length === count(from, to)), 20_000, "every tick to run").catch(() => undefined);

  it("hands the schedules to the new manifest without running a tick twice or losing one", async () => {
    const v1 = await Promise.all([replica("v1", "a"), replica("v1", "b")]);
    // The old replicas run their schedules for a while before the new one comes.
    await waitFor(() => ["kept", "dropped", "changed"].every((id) => (target.hits.get(id)?.size ?? 0) >= 2), 20_000, "two ticks of each monitor on v1");
    const v2Start = Date.now();
    const v2 = await replica("v2", "c");
    // v2 owns the schedules once it is ready: it upserts them before it starts its workers.
    const v2Ready = Date.now();
    await new Promise((r) => setTimeout(r, 12_000));
    const before = up(v2Start - 3_000);
    const settled = up(v2Ready + 1_000);
    const last = down(Date.now() - 1_500);
    await ran([["kept", before, last], ["changed", before, last], ["added", settled, last]]);
    const end = Date.now();
    for (const child of [...v1, v2]) child.proc.kill("SIGTERM");
    await Promise.all([...v1, v2].map((c) => c.exited));

    // `kept` and `changed` run every tick exactly once, before, during and after the handover.
    for (const id of ["kept", "changed"]) {
      const seen = ticks(id, before, last);
      expect({ id, count: seen.length, repeats: seen.filter(([, n]) => n > 1) }).toEqual({ id, count: count(before, last), repeats: [] });
    }
    // `added` runs every tick once the new manifest owns the schedules; `dropped` stops.
    const added = ticks("added", settled, last);
    expect({ count: added.length, repeats: added.filter(([, n]) => n > 1) }).toEqual({ count: count(settled, last), repeats: [] });
    expect(ticks("dropped", settled, end)).toEqual([]);
    // The old replicas say why they did not run the changed monitor's ticks.
    expect(v1.map((c) => c.stdout()).join("")).toContain("tick handed to the replicas of the manifest that scheduled it");
    expect(v1.map((c) => c.stdout()).join("")).not.toContain("tick dropped");
  }, 90_000);

  it("keeps the new manifest's schedules when it runs alone, and an old replica restarting does not take them back", async () => {
    // The first case left the schedules to v2 and stopped every replica; v2 comes back alone.
    const startedAt = Date.now();
    const v2 = await replica("v2", "d");
    // From its first run of each monitor on, the lone new replica runs every tick.
    await waitFor(() => ["kept", "changed", "added"].every((id) => ticks(id, startedAt, Infinity).length > 0), 20_000, "the lone replica's first ticks");
    const aloneFrom = up(Date.now());
    await new Promise((r) => setTimeout(r, 5_000));
    // An old replica restarts mid-rollout: it runs what it agrees on, and schedules nothing back.
    const old = await replica("v1", "e");
    await new Promise((r) => setTimeout(r, 6_000));
    const last = down(Date.now() - 1_500);
    await ran(["kept", "changed", "added"].map((id) => [id, aloneFrom, last]));
    const end = Date.now();
    for (const child of [v2, old]) child.proc.kill("SIGTERM");
    await Promise.all([v2, old].map((c) => c.exited));

    for (const id of ["kept", "changed", "added"]) {
      const seen = ticks(id, aloneFrom, last);
      expect({ id, count: seen.length, repeats: seen.filter(([, n]) => n > 1) }).toEqual({ id, count: count(aloneFrom, last), repeats: [] });
    }
    expect(ticks("dropped", aloneFrom, end)).toEqual([]);
    expect(old.stdout()).toContain("a newer manifest owns the schedules");
  }, 90_000);
});
