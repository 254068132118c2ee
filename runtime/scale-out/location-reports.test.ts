import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropPrefix, redisAnswers, testPrefix, TEST_REDIS_URL } from "../../test/scale-out/support.js";
import type { CheckOutcome } from "../checks/types.js";
import { LocationReports } from "./location-reports.js";

const available = await redisAnswers();
const failing: CheckOutcome = { kind: "error", error: "status 500", durationMs: 3 };
const passing: CheckOutcome = { kind: "results", results: [] };

/** Two replicas' views of the same quorum reports: each its own connection, as in production. */
describe.skipIf(!available)("quorum tick reports in Redis", () => {
  const prefix = testPrefix();
  let a: Redis;
  let b: Redis;
  let first: LocationReports;
  let second: LocationReports;

  beforeAll(() => {
    a = new Redis(TEST_REDIS_URL);
    b = new Redis(TEST_REDIS_URL);
    first = new LocationReports(a, prefix);
    second = new LocationReports(b, prefix);
  });

  afterAll(async () => {
    a.disconnect();
    b.disconnect();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("lets the report that completes the set evaluate, once", async () => {
    expect(await first.report("site", 1_000, "eu-west", failing, 2, 10_000, 30_000)).toEqual({ kind: "wait" });
    const done = await second.report("site", 1_000, "us-east", passing, 2, 10_000, 30_000);
    expect(done).toEqual({ kind: "evaluate", outcomes: { "eu-west": failing, "us-east": passing } });
    // A retried job of the same location completes nothing a second time.
    expect(await second.report("site", 1_000, "us-east", passing, 2, 10_000, 30_000)).toEqual({ kind: "wait" });
    await second.finish("site", 1_000);
    expect(await first.due()).toEqual([]);
  });

  it("hands a tick whose only reporter died to any replica at its deadline, on Redis's clock", async () => {
    await first.report("api", 2_000, "eu-west", failing, 2, 300, 30_000);
    // The reporting replica is gone: no timer fires. Before the deadline the sweep finds nothing.
    expect(await second.due()).toEqual([]);
    await sleep(350);
    expect(await second.due()).toEqual([{ monitorId: "api", scheduledAt: 2_000 }]);
    expect(await second.claim("api", 2_000, 30_000)).toEqual({ "eu-west": failing });
    // Claimed: no one else evaluates it while the lease runs, and after finish it is gone.
    expect(await first.claim("api", 2_000, 30_000)).toBeNull();
    await second.finish("api", 2_000);
    expect(await first.due()).toEqual([]);
    expect(await first.claim("api", 2_000, 30_000)).toBeNull();
  });

  it("re-evaluates a tick whose evaluator died before it finished, once its lease ran out", async () => {
    await first.report("db", 3_000, "eu-west", failing, 2, 0, 200);
    const won = await second.report("db", 3_000, "us-east", failing, 2, 0, 200);
    expect(won.kind).toBe("evaluate");
    // The winner dies before finish(). While its lease holds, a claim loses and looks again later.
    expect(await first.claim("db", 3_000, 200)).toBeNull();
    expect(await first.due()).toEqual([]);
    await sleep(300);
    expect(await first.due()).toEqual([{ monitorId: "db", scheduledAt: 3_000 }]);
    expect(await first.claim("db", 3_000, 30_000)).toEqual({ "eu-west": failing, "us-east": failing });
    await first.finish("db", 3_000);
    expect(await second.due()).toEqual([]);
  });

  it("forgets ticks older than the reports' time to live", async () => {
    const short = new LocationReports(a, prefix, 1_000);
    await short.report("old", 4_000, "eu-west", failing, 2, 0, 30_000);
    await sleep(20);
    expect(await short.due()).toEqual([{ monitorId: "old", scheduledAt: 4_000 }]);
    await sleep(1_100);
    expect(await short.due()).toEqual([]);
  });
});
