import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { RESULT_MESSAGE_MAX } from "../../runtime/evaluate/tick.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * Results are stored for every tick. A script (or a target echoed into a message) that says
 * megabytes on every tick would grow the state by gigabytes a day: what is kept is cut.
 */
describe("a check that answers with megabytes of text", () => {
  let dir: string;
  let runtime: Runtime;
  const huge = "x".repeat(1024 * 1024);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-result-size-"));
    const manifest = manifestOf([
      monitorSpec({ id: "talker", schedule: { kind: "every", every: "1h" } }),
      monitorSpec({ id: "breaker", schedule: { kind: "every", every: "1h" } }),
    ]);
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => [], destination: new Writable({ write: (_c, _e, done) => done() }) }),
      secrets: createSecretSource({ declared: [], env: {}, now: Date.now }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      runCheck: async (monitor) =>
        monitor.id === "talker"
          ? { kind: "results", results: [{ ok: false, value: null, message: huge, labels: {}, details: {}, durationMs: 1 }] }
          : { kind: "error", error: huge, durationMs: 1 },
    });
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps at most RESULT_MESSAGE_MAX characters of a result's message and of a check error", async () => {
    await runtime.tickNow("talker");
    await runtime.tickNow("breaker");
    const latest = await runtime.store.latestResults();
    const talker = latest.get("talker")!;
    const breaker = latest.get("breaker")!;
    expect(talker.message.length).toBeLessThanOrEqual(RESULT_MESSAGE_MAX);
    expect(talker.message.startsWith("xxxx")).toBe(true);
    expect(breaker.error!.length).toBeLessThanOrEqual(RESULT_MESSAGE_MAX);
    expect(breaker.message.length).toBeLessThanOrEqual(RESULT_MESSAGE_MAX);
  });
});
