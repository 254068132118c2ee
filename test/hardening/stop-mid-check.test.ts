import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../runtime/app.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * A rollout stops the runtime while checks are in flight. A check it cuts off itself says nothing
 * about the target: before, it was judged as a check error, fired (onError "fail"), and the page
 * went out after the restart, for a healthy service, at every rollout.
 */
let dir: string;
let slow: Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-stop-mid-check-"));
  // Healthy, only slow: it answers 200 after 15 s.
  slow = createServer((_req, res) => void setTimeout(() => res.writeHead(200).end("ok"), 15_000).unref());
  await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
  port = (slow.address() as { port: number }).port;
});

afterAll(async () => {
  slow.closeAllConnections();
  await new Promise((resolve) => slow.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("stopping the runtime while a check runs", () => {
  it("does not judge the check it cancelled: no alert, nothing to page after the restart", async () => {
    const monitor = monitorSpec({
      id: "slow-but-healthy",
      schedule: { kind: "every", every: "1h" },
      check: { ...monitorSpec({ id: "x" }).check, url: `http://127.0.0.1:${port}/`, timeout: "20s" } as never,
    });
    const state = join(dir, "state");
    const runtime = await createRuntime({
      manifest: manifestOf([monitor]),
      bundle: {},
      stateDir: state,
      logger: pino({ level: "silent" }),
      secrets: createSecretSource({ declared: [], env: {}, now: Date.now }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 300,
    });
    await runtime.start();
    const ticking = runtime.tickNow("slow-but-healthy");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runtime.stop();
    await ticking.catch(() => undefined);

    const store = SqliteStore.open(state, Date.now());
    try {
      expect(store.allAlerts().filter((a) => a.state !== "inactive")).toEqual([]);
      expect(store.undispatched(10)).toEqual([]);
    } finally {
      store.close();
    }
  }, 30_000);
});
