import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A replica frozen (SIGSTOP: a VM paused, a container throttled, a long GC) while it holds a tick
 * whose check saw the target failing, and resumed (SIGCONT) after the other replica took its work
 * over and resolved the alert. Its late, stale outcome must neither page again nor undo the resolve.
 */
describe.skipIf(!available)("a replica frozen while holding a tick, resumed after takeover", () => {
  let dir: string;
  let script: string;
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];
  let redis: Redis;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-freeze-"));
    script = await bundleChild("freeze");
    await target.start();
    const m = monitorSpec({ id: "frozen", schedule: { kind: "every", every: "1s" }, check: { kind: "script", timeout: "3s" }, code: { condition: false, summary: false, run: true, extract: false } });
    await writeArtifact(join(dir, "artifact"), manifestOf([m], [], "Test status", { openReads: true }), hitBundle(["frozen"], target.port));
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill("SIGCONT");
        c.proc.kill("SIGKILL");
      }
    }
    redis?.disconnect();
    await target.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  const intents = async () => {
    const ids = await redis.hgetall(`${prefix}:outbox:ids`);
    return Promise.all(
      Object.entries(ids).sort(([, a], [, b]) => Number(a) - Number(b)).map(async ([, seq]) => (JSON.parse((await redis.hget(`${prefix}:outbox:item:${seq}`, "i"))!) as { type: string }).type),
    );
  };
  const alertState = async () => (JSON.parse((await redis.hget(`${prefix}:alert:wk-frozen`, "d")) ?? "{}") as { state?: string }).state;

  it("neither pages again nor reverts the alert the others resolved meanwhile", async () => {
    const start = async (name: string) => {
      const child = await startChild(script, {
        WK_CHILD_ARTIFACT: join(dir, "artifact"),
        WK_CHILD_STATE: join(dir, `state-${name}`),
        WK_CHILD_REDIS: TEST_REDIS_URL,
        WK_CHILD_REDIS_PREFIX: prefix,
        WK_CHILD_STALL_MS: "500",
        WK_CHILD_SPREAD_MS: "0",
        WK_CHILD_DELIVERY: "hold",
        WK_LOG_LEVEL: "warn",
      });
      children.push(child);
      return child;
    };
    target.failing.add("frozen");
    // Each check is in flight for 1.2 s, so a replica holds ticks most of the time.
    target.slow.set("frozen", 1_200);
    const [frozen, other] = [await start("a"), await start("b")];
    await waitFor(async () => (await intents()).length === 1, 20_000, "the trigger");
    // Frozen while its check of a failing tick is at the target: it answers "failing" meanwhile.
    await waitFor(async () => (target.inFlight.get(frozen.proc.pid!) ?? 0) > 0, 10_000, "a check in flight on the replica to freeze");
    frozen.proc.kill("SIGSTOP");
    target.failing.delete("frozen");
    // The other replica takes the frozen one's tick over (lock 5 s + stall check) and resolves.
    await waitFor(async () => (await intents()).length === 2, 20_000, "the resolve");
    await sleep(6_000);
    frozen.proc.kill("SIGCONT");
    // Its stale tick finishes and commits late; the next ticks are healthy anyway.
    await sleep(6_000);
    expect(await intents()).toEqual(["trigger", "resolve"]);
    expect(await alertState()).toBe("inactive");
    for (const c of [frozen, other]) c.proc.kill("SIGTERM");
    await Promise.all([frozen.exited, other.exited]);
  }, 90_000);
});
