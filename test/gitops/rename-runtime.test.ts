import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import type { CheckRunner } from "../../runtime/evaluate/run-check.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { FakeClock } from "../runtime/support/fake-clock.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** The target's health, as the injected check sees it: the state carried over is the runtime's own. */
let healthy = false;
const runCheck: CheckRunner = async () => ({
  kind: "results",
  results: [{ ok: healthy, value: null, message: healthy ? "up" : "down", labels: { region: "eu" }, details: {}, durationMs: 1 }],
});

describe("a renamed monitor keeps its open alert across a rollout", () => {
  let dir: string;
  let runtime: Runtime | undefined;
  const clock = new FakeClock(Date.parse("2026-11-23T08:00:00Z"));

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = async (manifest: Manifest) => {
    const secrets = createSecretSource({ declared: [], env: {}, now: () => clock.now() });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => [], destination: quiet }),
      secrets,
      clock,
      runCheck,
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 1_000,
    });
    return runtime;
  };
  /** Every intent ever written, sent or not (stop() flushes the outbox), read from the state database itself. */
  const intents = (_r: Runtime) => {
    const db = new BetterSqlite3(join(dir, "state", "state.db"), { readonly: true });
    try {
      return (db.prepare("SELECT intent FROM outbox ORDER BY seq").all() as Array<{ intent: string }>)
        .map((row) => JSON.parse(row.intent) as { type: string; id: string })
        .map((i) => `${i.type} ${i.id}`);
    } finally {
      db.close();
    }
  };

  it("is not resolved as removed, not re-triggered, and resolves later under the old dedup key", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rename-"));
    healthy = false;
    // Run 1: monitor `checkout` fires (its trigger stays in the outbox: delivery never started).
    const first = await start(manifestOf([monitorSpec({ id: "checkout" })]));
    await first.tickNow("checkout");
    const [opened] = await first.store.alertsOf("checkout");
    expect(opened).toMatchObject({ state: "firing" });
    const oldKey = opened!.dedupKey;
    expect(oldKey).toMatch(/^wk-checkout-/);
    expect(intents(first)).toEqual([`trigger ${oldKey}:1`]);
    await first.stop();

    // Run 2: the monitor is now `checkout-api`, naming its old id; still failing.
    const second = await start(manifestOf([monitorSpec({ id: "checkout-api", previousIds: ["checkout"] })]));
    expect(await second.store.alertsOf("checkout")).toEqual([]);
    const [carried] = await second.store.alertsOf("checkout-api");
    expect(carried).toMatchObject({ state: "firing", dedupKey: oldKey, sequence: 1 });
    await clock.advance(10_000);
    await second.tickNow("checkout-api");
    // No resolve ("monitor removed") and no second trigger: nobody is paged again.
    expect(intents(second)).toEqual([`trigger ${oldKey}:1`]);
    expect((await second.store.alertsOf("checkout-api")).map((a) => a.dedupKey)).toEqual([oldKey]);

    // The target recovers: the incident opened under the old key is the one resolved.
    healthy = true;
    await clock.advance(10_000);
    await second.tickNow("checkout-api");
    expect(intents(second)).toEqual([`trigger ${oldKey}:1`, `resolve ${oldKey}:2`]);
    const resolve = (await second.store.undispatched(100)).find((s) => s.intent.type === "resolve")!;
    expect(resolve.intent).toMatchObject({ id: `${oldKey}:2`, dedupKey: oldKey, monitorId: "checkout-api" });
  });

  it("without previousIds the old monitor's firing alert is resolved as removed (the behaviour a rename avoids)", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rename-"));
    healthy = false;
    const first = await start(manifestOf([monitorSpec({ id: "checkout" })]));
    await first.tickNow("checkout");
    await first.stop();
    const second = await start(manifestOf([monitorSpec({ id: "checkout-api" })]));
    expect(intents(second).filter((i) => i.startsWith("resolve"))).toHaveLength(1);
  });
});
