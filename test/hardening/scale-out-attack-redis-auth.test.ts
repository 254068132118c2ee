import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createLogger } from "../../runtime/logger.js";
import { openScaleOut } from "../../runtime/scale-out/index.js";
import { connectChecked } from "../../runtime/scale-out/redis-connection.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";
import { freeTcpPort } from "../support/free-port.js";
import { stopProcess, waitUntil } from "../support/process.js";

const TOKEN = "redis-auth-api-token-0123456789";
import { OwnRedis } from "../support/redis-server.js";

const PASSWORD = "pw-secret-9f3";

/** A replica pointed at a Redis that requires AUTH: the error names the setting to fix, never the password. */
describe("a Redis that requires a password", () => {
  let port = 0;
  let redis: ChildProcess;

  beforeAll(async () => {
    port = await freeTcpPort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD], { stdio: "ignore" });
    await waitUntil(async () => {
      const probe = new Redis({ port, host: "127.0.0.1", password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    }, "redis-server with a password", 10_000, 50);
  });

  afterAll(async () => {
    if (redis) await stopProcess(redis);
  });

  async function refusal(url: string): Promise<string> {
    try {
      const r = await connectChecked(url, 3_000);
      r.disconnect();
      return "connected";
    } catch (error) {
      return (error as Error).message;
    }
  }

  it("without a password in the URL: says Redis requires one and where to put it", async () => {
    const message = await refusal(`redis://127.0.0.1:${port}/0`);
    expect(message).toContain(`cannot use Redis at redis://127.0.0.1:${port}/0`);
    expect(message).toMatch(/requires a password/);
    expect(message).toMatch(/--redis or WATCHKEEPER_REDIS_URL/);
  });

  it("with a wrong password: says the credentials are wrong, names the setting, never shows the password", async () => {
    for (const url of [`redis://:wrong-${PASSWORD}@127.0.0.1:${port}/0`, `redis://someone:${PASSWORD}@127.0.0.1:${port}/0`]) {
      const message = await refusal(url);
      expect(message).toMatch(/wrong credentials/);
      expect(message).toMatch(/--redis or WATCHKEEPER_REDIS_URL/);
      expect(message).not.toContain(PASSWORD);
      expect(message).not.toContain("someone:");
    }
  });

  it("with a database Redis does not have: names the database and the limit", async () => {
    const message = await refusal(`redis://:${PASSWORD}@127.0.0.1:${port}/99`);
    expect(message).toMatch(/database 99/);
    expect(message).not.toContain(PASSWORD);
  });
});

/**
 * The password changes under running replicas (rotated in Redis before the deployment): every
 * reconnect fails AUTH. The password must appear in no log line and no /readyz answer, and
 * /readyz must say why it is not ready.
 */
describe("a Redis password rotated under a running replica", () => {
  const redis = new OwnRedis();
  let runtime: Runtime | null = null;
  let dir = "";
  const lines: string[] = [];

  afterAll(async () => {
    await redis.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("never logs or shows the password, and /readyz names the credentials", async () => {
    await redis.start();
    const setup = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await setup.config("SET", "requirepass", PASSWORD);
    setup.disconnect();
    dir = await mkdtemp(join(tmpdir(), "wk-rotate-"));
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
    const manifest = testManifest({ monitors: [testMonitor("api", { schedule: { kind: "every", every: "1s" } })] });
    const scaleOut = await openScaleOut(manifest, { url, prefix: "wk", location: "local" });
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      ...scaleOut,
      logger: createLogger({ secretValues: () => [], destination: sink }),
      secrets: createSecretSource({ declared: [], env: { WATCHKEEPER_API_TOKEN: TOKEN }, now: () => Date.now() }),
      runCheck: async () => ({ kind: "results", results: [{ ok: false, value: null, message: "down", labels: {}, details: {}, durationMs: 1 }] }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 1_000,
    });
    const base = await runtime.start();
    const admin = new Redis({ port: redis.port, host: "127.0.0.1", password: PASSWORD, maxRetriesPerRequest: 1 });
    try {
      await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, "ready", 10_000);
      await admin.config("SET", "requirepass", "rotated-pw-77");
      await admin.client("KILL", "TYPE", "normal");
      let body: Record<string, unknown> = {};
      await waitUntil(async () => {
        const res = await fetch(`${base}/readyz`);
        body = (await res.json()) as Record<string, unknown>;
        return res.status === 503;
      }, "not ready after the rotation", 20_000);
      await new Promise((r) => setTimeout(r, 3_000));
      body = (await (await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;
      const shown = JSON.stringify(body) + (await (await fetch(`${base}/metrics`)).text()) + (await (await fetch(`${base}/`)).text());
      expect(shown).not.toContain(PASSWORD);
      expect(lines.join("")).not.toContain(PASSWORD);
      expect(String(body["reason"])).toMatch(/refuses this replica's credentials: WRONGPASS/);
      // Without the token: what is wrong, not where Redis is.
      const seen = (await (await fetch(`${base}/readyz`)).json()) as Record<string, unknown>;
      expect(seen["reason"]).toBe("Redis refuses this replica's credentials; reconnecting");
      expect(JSON.stringify(seen)).not.toContain(`:${redis.port}`);
      // A replica told to stop while Redis refuses it stops: it never waits for a connection that cannot come.
      const started = Date.now();
      const stopping = runtime.stop();
      runtime = null;
      await stopping;
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      admin.disconnect();
    }
  }, 60_000);
});
