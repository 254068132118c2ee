import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startChild, waitFor } from "../runtime/support/child-process.js";
import { geoQuorumFixture } from "./geo-quorum-fixture.js";
import { redisAnswers, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();

/**
 * Two locations, quorum 2, both failing; eu-west's replica runs on a clock 5 minutes ahead and
 * us-east's check answers 1.5 s after eu-west's. Quorum deadlines are kept on Redis's clock, so the
 * skewed replica does not find the tick past its deadline and judge it on eu-west's report alone.
 */
describe.skipIf(!available)("a replica whose clock is minutes off (quorum deadlines)", () => {
  const fixture = geoQuorumFixture("clock-skew", "3s");
  const { target, prefix, children } = fixture;

  it("judges every tick on both locations' reports, not early on the skewed replica's alone", async () => {
    target.failing.add("geo@eu-west");
    target.failing.add("geo@us-east");
    target.slow.set("geo@eu-west", 1_500);
    const start = async (location: string, skewMs: number) => {
      const child = await startChild(fixture.script, {
        WK_CHILD_ARTIFACT: join(fixture.dir, "artifact"),
        WK_CHILD_STATE: join(fixture.dir, `state-${location}`),
        WK_CHILD_REDIS: TEST_REDIS_URL,
        WK_CHILD_REDIS_PREFIX: prefix,
        WK_CHILD_LOCATION: location,
        WK_CHILD_SPREAD_MS: "0",
        WK_CHILD_DELIVERY: "hold",
        WK_CHILD_CLOCK_SKEW_MS: String(skewMs),
        WK_LOG_LEVEL: "warn",
      });
      children.push(child);
      return child;
    };
    const replicas = [await start("eu-west", 5 * 60_000), await start("us-east", 0)];
    // The replicas start one after the other: a tick due before us-east's was up (seconds, on a busy
    // machine) has eu-west's report alone whatever the clocks say, and is judged at its deadline.
    const bothUp = Date.now() + 2_000;
    const evaluated = async () =>
      (await fixture.redis.zrange(`${prefix}:results:w:geo`, 0, -1)).map((json) => JSON.parse(json) as { at: number; firing: boolean | null }).filter((t) => t.at >= bothUp);
    await waitFor(async () => (await evaluated()).length >= 10, 40_000, "ten evaluated ticks").catch(async (error: Error) => {
      const logs = replicas.map((c, i) => `--- replica ${i} stderr (end):\n${c.stderr().slice(-3_000)}`).join("\n");
      throw new Error(`${error.message}\nkeys: ${(await fixture.redis.keys(`${prefix}:*`)).filter((k) => !k.includes(":bull:")).join(" ")}\n${logs}`);
    });
    const ticks = await evaluated();
    // Both locations failed on every tick: a tick judged "not failing" was judged without us-east.
    expect(ticks.filter((t) => t.firing !== true).map((t) => new Date(t.at).toISOString())).toEqual([]);
    const trigger = JSON.parse((await fixture.redis.hget(`${prefix}:outbox:item:1`, "i"))!) as { type: string; summary: string };
    expect(trigger.type).toBe("trigger");
    expect(trigger.summary).toContain("(2 of 2, quorum 2)");
    for (const child of replicas) child.proc.kill("SIGTERM");
    await Promise.all(replicas.map((c) => c.exited));
  }, 90_000);
});
