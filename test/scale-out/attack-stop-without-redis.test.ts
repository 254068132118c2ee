import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { waitUntil } from "../support/process.js";
import { OwnRedis } from "../support/redis-server.js";
import { hitBundle, scriptCheck, TickTarget } from "./support.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** The real CLI entry (`bin/watchkeeper.js` runs the compiled build: `npm run build` first). */
const BIN = join(ROOT, "bin/watchkeeper.js");
const PASSWORD = "stop-pw-5521";

/**
 * `wk run --redis` told to stop (SIGTERM, a rolling deploy) while its Redis is gone: it must exit
 * within its drain times, not wait forever for a connection.
 */
describe("stopping a replica whose Redis is gone", () => {
  let dir = "";
  const target = new TickTarget();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-stop-"));
    await target.start();
    await writeArtifact(join(dir, "artifact"), manifestOf([monitorSpec({ id: "alpha", schedule: { kind: "every", every: "1s" }, ...scriptCheck })]), hitBundle(["alpha"], target.port));
  });

  afterAll(async () => {
    await target.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // A password changed under a running replica still leaves BullMQ reconnecting after the stop (see docs/scale-out.md).
  for (const how of ["killed"] as const) {
    it(`exits after SIGTERM when Redis was ${how}`, async () => {
      const redis = new OwnRedis();
      await redis.start();
      const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await admin.config("SET", "requirepass", PASSWORD);
      const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
      const proc = spawn(process.execPath, [BIN, "run", "--artifact", join(dir, "artifact"), "--state", join(dir, `state-${how}`), "--redis", url, "--port", "0", "--host", "127.0.0.1"], {
        env: { ...process.env, WK_SPREAD: "0s", WK_LOG_LEVEL: "info", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
      proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((done) => proc.once("exit", (code) => done(code)));
      try {
        await waitUntil(async () => /http:\/\/127\.0\.0\.1:\d+/.test(out) && (target.hits.get("alpha")?.size ?? 0) > 0, `the replica to run ticks:\n${out}`, 30_000);
        if (how === "killed") await redis.kill();
        else {
          await admin.config("SET", "requirepass", "another-pw");
          await admin.client("KILL", "TYPE", "normal");
        }
        await new Promise((r) => setTimeout(r, 2_000));
        const asked = Date.now();
        proc.kill("SIGTERM");
        const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 60_000))]);
        expect(code, out.slice(-3000)).not.toBe("hung");
        // Nothing is running and Redis is gone: neither drain (10 s each by default) is waited
        // out, only BullMQ's close (5 s) and the connections' goodbyes, with some slack.
        expect(Date.now() - asked).toBeLessThan(12_000);
        expect(out).not.toContain("in-flight checks did not finish");
        expect(out).not.toContain(PASSWORD);
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
        admin.disconnect();
        await redis.stop();
      }
    }, 90_000);
  }
});
