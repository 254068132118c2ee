import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startChild, waitFor } from "../runtime/support/child-process.js";
import { geoQuorumFixture } from "./geo-quorum-fixture.js";
import { redisAnswers, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();

/** Two replicas in two locations; a monitor checked from both with quorum 2. */
describe.skipIf(!available)("locations and quorum across replicas (separate processes)", () => {
  const fixture = geoQuorumFixture("quorum", "2s");
  const { target, prefix, children } = fixture;

  const intents = async () => {
    const ids = await fixture.redis.hgetall(`${prefix}:outbox:ids`);
    return Promise.all(
      Object.entries(ids).sort(([, a], [, b]) => Number(a) - Number(b)).map(async ([, seq]) => JSON.parse((await fixture.redis.hget(`${prefix}:outbox:item:${seq}`, "i"))!) as { type: string; summary: string; details: Record<string, unknown> }),
    );
  };

  it("checks once per location per tick and pages only when both locations see the failure", async () => {
    const start = async (location: string) => {
      const child = await startChild(fixture.script, {
        WK_CHILD_ARTIFACT: join(fixture.dir, "artifact"),
        WK_CHILD_STATE: join(fixture.dir, `state-${location}`),
        WK_CHILD_REDIS: TEST_REDIS_URL,
        WK_CHILD_REDIS_PREFIX: prefix,
        WK_CHILD_LOCATION: location,
        WK_CHILD_SPREAD_MS: "0",
        WK_CHILD_DELIVERY: "hold",
        WK_LOG_LEVEL: "warn",
      });
      children.push(child);
      return child;
    };
    // Alone, eu-west says that nobody checks from us-east, in /readyz and on the status page.
    const eu = await start("eu-west");
    const alone = (await (await fetch(`${eu.url}/readyz`)).json()) as { ready: boolean; unservedLocations: Array<{ location: string; monitors: string[] }> };
    expect(alone.ready).toBe(true);
    expect(alone.unservedLocations).toMatchObject([{ location: "us-east", monitors: ["geo"] }]);
    expect(await (await fetch(`${eu.url}/`)).text()).toContain("not checked from us-east: no replica serves that location");
    const replicas = [eu, await start("us-east")];
    const page = await (await fetch(`${eu.url}/`)).text();
    expect(page).toContain("<h2>Replicas</h2>");
    expect(page).not.toContain("not checked from us-east");
    const ready = (await (await fetch(`${replicas[0]!.url}/readyz`)).json()) as { unservedLocations: unknown[]; replicas: Array<{ location: string }> };
    expect(ready.unservedLocations).toEqual([]);
    expect(ready.replicas.map((r) => r.location).sort()).toEqual(["eu-west", "us-east"]);

    // One location failing is below the quorum: nothing pages.
    target.failing.add("geo@eu-west");
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await intents()).toEqual([]);

    // A wait that times out says what the replicas logged (warnings and up) and what was checked.
    const seen = <T>(wait: Promise<T>) =>
      wait.catch((error: Error) => {
        const logs = replicas.map((c, i) => `--- replica ${i} stderr (end):\n${c.stderr().slice(-3_000)}`).join("\n");
        const hits = [...target.hits.entries()].map(([key, ticks]) => `${key}: ${ticks.size} ticks`).join(", ");
        throw new Error(`${error.message}\nchecks: ${hits}\n${logs}`);
      });

    // Both failing: one trigger, saying which locations failed and what each saw.
    target.failing.add("geo@us-east");
    await seen(waitFor(async () => (await intents()).length === 1, 30_000, "the trigger"));
    const [trigger] = await intents();
    expect(trigger!.type).toBe("trigger");
    expect(trigger!.summary).toContain("failing from eu-west, us-east (2 of 2, quorum 2)");
    expect(trigger!.details.locations).toMatchObject({ quorum: 2, failing: ["eu-west", "us-east"], saw: { "eu-west": expect.stringContaining("status 500 from eu-west"), "us-east": expect.stringContaining("status 500 from us-east") } });

    // One recovers: below the quorum again, one resolve.
    target.failing.delete("geo@us-east");
    await seen(waitFor(async () => (await intents()).length === 2, 30_000, "the resolve"));
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await intents()).map((i) => i.type)).toEqual(["trigger", "resolve"]);

    // No tick was checked twice from a location, and (a tick a loaded replica takes after the next
    // slot is skipped there, by design, never replayed) nearly all were checked from both.
    const byTick = target.hits.get("geo")!;
    const ticks = [...byTick.keys()].sort((a, b) => a - b).slice(2, -2);
    expect(ticks.length).toBeGreaterThan(4);
    for (const loc of ["eu-west", "us-east"]) for (const [t, n] of target.hits.get(`geo@${loc}`)!) expect({ loc, t, n }).toEqual({ loc, t, n: 1 });
    expect(ticks.filter((t) => byTick.get(t) === 2).length).toBeGreaterThanOrEqual(Math.floor(ticks.length * 0.8));
    for (const child of replicas) {
      child.proc.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    }
  }, 90_000);
});
