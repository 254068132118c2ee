import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { bundleChild, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { dropPrefix, hitBundle, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

/** What a suite of replicas in two locations shares: the artifact, the child script, the target, Redis. */
export interface GeoQuorumFixture {
  readonly target: TickTarget;
  readonly prefix: string;
  /** Replicas the suite started: killed after it. */
  readonly children: RunningChild[];
  readonly dir: string;
  readonly script: string;
  readonly redis: Redis;
}

/**
 * Registers the suite's set-up and clean-up: one monitor `geo`, checked every second from eu-west
 * and us-east with quorum 2 by a script check that hits `target`.
 */
export function geoQuorumFixture(name: string, checkTimeout: string): GeoQuorumFixture {
  const target = new TickTarget();
  const prefix = testPrefix();
  const children: RunningChild[] = [];
  let dir = "";
  let script = "";
  let redis: Redis | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `wk-${name}-`));
    script = await bundleChild(name);
    await target.start();
    const geo = monitorSpec({
      id: "geo",
      schedule: { kind: "every", every: "1s" },
      check: { kind: "script", timeout: checkTimeout },
      code: { condition: false, summary: false, run: true, extract: false },
      locations: ["eu-west", "us-east"],
      quorum: 2,
    });
    await writeArtifact(join(dir, "artifact"), manifestOf([geo], [], "Test status", { openReads: true }), hitBundle(["geo"], target.port));
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    redis?.disconnect();
    await target.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  return {
    target,
    prefix,
    children,
    get dir() {
      return dir;
    },
    get script() {
      return script;
    },
    get redis() {
      if (redis === undefined) throw new Error("the fixture's Redis is connected in beforeAll");
      return redis;
    },
  };
}
