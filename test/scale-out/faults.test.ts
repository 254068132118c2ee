import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { freeTcpPort } from "../support/free-port.js";
import { OwnRedis } from "../support/redis-server.js";
import { stopProcess } from "../support/process.js";

const TOKEN = "faults-api-token-0123456789";
import { hitBundle, redisAnswers, scriptCheck, testPrefix, TickTarget } from "./support.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "bin/watchkeeper.js");
const available = await redisAnswers();
/**
 * How long Redis stays down: past the replica registry's 10 s TTL, so the replicas come back to a
 * Redis where their registrations and their jobs' locks have lapsed.
 */
const OUTAGE_MS = 12_000;

describe.skipIf(!available)("scale-out faults", () => {
  let dir: string;
  let script: string;
  const target = new TickTarget();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-scaleout-faults-"));
    script = await bundleChild("scaleout-faults");
    await target.start();
    const every1s = { kind: "every", every: "1s" } as const;
    await writeArtifact(
      join(dir, "artifact"),
      manifestOf(["alpha", "bravo"].map((id) => monitorSpec({ id, schedule: every1s, ...scriptCheck }))),
      hitBundle(["alpha", "bravo"], target.port),
    );
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  it("refuses to start on a wrong password or an unreachable Redis, naming the URL without its password (exit 1)", async () => {
    expect(existsSync(join(ROOT, "build/cli/main.js")), "build/ is missing: run `npm run build`").toBe(true);
    const port = await freeTcpPort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", "right-pw-123"], { stdio: "ignore" });
    try {
      await waitFor(async () => {
        const probe = new Redis({ port, host: "127.0.0.1", password: "right-pw-123", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        probe.on("error", () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === "PONG";
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      }, 10_000, "redis-server with a password");
      const cases = [
        { url: `redis://:wrong-pw-456@127.0.0.1:${port}/0`, shown: `redis://127.0.0.1:${port}/0`, why: /wrong credentials/ },
        { url: `redis://:wrong-pw-456@127.0.0.1:${await freeTcpPort()}/0`, shown: "redis://127.0.0.1:", why: /ECONNREFUSED|no answer/ },
      ];
      for (const c of cases) {
        const { code, out } = await runBin(["run", "--artifact", join(dir, "artifact"), "--port", "0", "--host", "127.0.0.1", "--redis", c.url]);
        expect(out).toContain(`cannot use Redis at ${c.shown}`);
        expect(out).toMatch(c.why);
        expect(out).not.toContain("wrong-pw-456");
        expect(code).toBe(1);
      }
    } finally {
      await stopProcess(redis);
    }
  }, 60_000);

  it("reports not ready while Redis is down for 12 s, keeps memory bounded, reconnects, and loses or repeats no alert transition", async () => {
    const own = new OwnRedis();
    await own.start();
    const prefix = testPrefix();
    const redis = new Redis(own.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on("error", () => undefined);
    try {
      target.failing.add("alpha");
      const replicas = await Promise.all(["a", "b"].map(async (name) => {
        const child = await startChild(script, {
          WK_CHILD_ARTIFACT: join(dir, "artifact"),
          WK_CHILD_STATE: join(dir, `state-${name}`),
          WK_CHILD_REDIS: own.url,
          WK_CHILD_REDIS_PREFIX: prefix,
          WK_CHILD_STALL_MS: "1000",
          WK_CHILD_SPREAD_MS: "0",
          WK_CHILD_DELIVERY: "hold",
          WK_LOG_LEVEL: "warn",
          WATCHKEEPER_API_TOKEN: TOKEN,
        });
        children.push(child);
        return child;
      }));
      await redis.connect();
      const intents = async () => {
        const ids = await redis.hgetall(`${prefix}:outbox:ids`);
        return Object.keys(ids).filter((id) => id.includes("alpha")).sort();
      };
      await waitFor(async () => (await intents()).length === 1, 15_000, "the trigger of alpha");
      redis.disconnect();
      const rss = async (child: RunningChild) => {
        const text = await (await fetch(`${child.url}/metrics`)).text();
        const match = /^process_resident_memory_bytes (\S+)/m.exec(text);
        if (!match) throw new Error(`no resident memory in /metrics:\n${text.slice(0, 2000)}\n${child.stderr().slice(-3000)}`);
        return Number(match[1]);
      };
      const before = await Promise.all(replicas.map(rss));

      await own.kill();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, 3_000));
      for (const child of replicas) {
        // The team's reading (the token): which Redis, and what it answered.
        const res = await fetch(`${child.url}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const body = (await res.json()) as { ready: boolean; reason: string; redis: string };
        expect(res.status).toBe(503);
        expect(body).toMatchObject({ ready: false, redis: "unreachable" });
        expect(body.reason).toContain(`Redis at ${own.url} is unreachable`);
      }
      await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - downAt)));
      const during = await Promise.all(replicas.map(rss));
      for (const [i, bytes] of during.entries()) expect(bytes - before[i]!).toBeLessThan(64 * 1024 * 1024);
      for (const child of replicas) expect((await fetch(`${child.url}/readyz`)).status).toBe(503);

      await own.start();
      const upAt = Date.now();
      for (const child of replicas) await waitFor(async () => (await fetch(`${child.url}/readyz`)).status === 200, 20_000, "ready again");
      await waitFor(() => [...(target.hits.get("bravo")?.keys() ?? [])].some((t) => t > upAt), 15_000, "ticks after the restart");

      target.failing.delete("alpha");
      await redis.connect();
      await waitFor(async () => (await intents()).length >= 2, 20_000, "the resolve of alpha");
      await new Promise((r) => setTimeout(r, 3_000));
      const stored = await intents();
      const types = await Promise.all(stored.map(async (id) => {
        const seq = await redis.hget(`${prefix}:outbox:ids`, id);
        return (JSON.parse((await redis.hget(`${prefix}:outbox:item:${seq}`, "i"))!) as { type: string }).type;
      }));
      expect(types).toEqual(["trigger", "resolve"]);
      for (const child of replicas) {
        child.proc.kill("SIGTERM");
        expect(await child.exited).toBe(0);
      }
    } finally {
      target.failing.clear();
      redis.disconnect();
      await own.kill();
      await own.stop();
    }
  }, 150_000);
});

async function runBin(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WK_LOG_LEVEL: "warn" } });
  let out = "";
  proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  clearTimeout(timer);
  return { code, out };
}
