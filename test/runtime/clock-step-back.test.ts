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
import { FakeClock } from "./support/fake-clock.js";
import { manifestOf, monitorSpec } from "./support/manifest.js";

let healthy = false;
const runCheck: CheckRunner = async () => ({
  kind: "results",
  results: [{ ok: healthy, value: null, message: healthy ? "up" : "down", labels: {}, details: {}, durationMs: 1 }],
});

const HOUR = 3_600_000;

/** The wall clock stepping back (NTP correcting a fast clock, a VM restored from a snapshot) while alerts are open. */
describe("alerts after the wall clock steps back", () => {
  let dir: string;
  let runtime: Runtime | undefined;
  let clock: FakeClock;

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
  const intents = () => {
    const db = new BetterSqlite3(join(dir, "state", "state.db"), { readonly: true });
    try {
      return (db.prepare("SELECT intent FROM outbox ORDER BY seq").all() as Array<{ intent: string }>)
        .map((row) => JSON.parse(row.intent) as { type: string; id: string })
        .map((i) => `${i.type} ${i.id}`);
    } finally {
      db.close();
    }
  };

  it("resolves a firing alert at the first ok tick, and fires again at the next failure, not an hour later", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-clock-"));
    clock = new FakeClock(Date.parse("2026-11-23T08:00:00Z"));
    healthy = false;
    const r = await start(manifestOf([monitorSpec({ id: "site" })]));
    await r.tickNow("site");
    expect(intents()).toEqual(["trigger wk-site:1"]);

    clock.step(clock.now() - HOUR);
    healthy = true;
    await clock.advance(10_000);
    await r.tickNow("site");
    expect(intents()).toEqual(["trigger wk-site:1", "resolve wk-site:2"]);

    healthy = false;
    await clock.advance(10_000);
    await r.tickNow("site");
    expect(intents()).toEqual(["trigger wk-site:1", "resolve wk-site:2", "trigger wk-site:3"]);
  });

  it("on its schedule: a firing alert resolves within a minute of the clock stepping back an hour", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-clock-"));
    clock = new FakeClock(Date.parse("2026-11-23T08:00:00Z"));
    healthy = false;
    const r = await start(manifestOf([monitorSpec({ id: "site" })]));
    await r.start();
    await clock.advance(10_000);
    expect((await r.store.alertsOf("site"))[0]).toMatchObject({ state: "firing" });

    clock.step(clock.now() - HOUR);
    healthy = true;
    for (let i = 0; i < 6; i++) await clock.advance(10_000);
    expect((await r.store.alertsOf("site"))[0]).toMatchObject({ state: "inactive", sequence: 2 });
  });

  it("fires a pending alert once its `for` has passed on the new time, not the hour the clock stepped back later", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-clock-"));
    clock = new FakeClock(Date.parse("2026-11-23T08:00:00Z"));
    healthy = false;
    const r = await start(manifestOf([monitorSpec({ id: "site", for: "1m" })]));
    await r.tickNow("site");
    await clock.advance(30_000);
    await r.tickNow("site");
    expect((await r.store.alertsOf("site"))[0]).toMatchObject({ state: "pending" });

    clock.step(clock.now() - HOUR);
    for (let i = 0; i < 6; i++) {
      await clock.advance(10_000);
      await r.tickNow("site");
    }
    expect(intents()).toEqual(["trigger wk-site:1"]);
  });

  it("a runtime started on a clock behind its stored alerts (a restored VM) still resolves them", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-clock-"));
    clock = new FakeClock(Date.parse("2026-11-23T08:00:00Z"));
    healthy = false;
    const manifest = manifestOf([monitorSpec({ id: "site" })]);
    const first = await start(manifest);
    await first.tickNow("site");
    await first.stop();
    runtime = undefined;

    clock = new FakeClock(Date.parse("2026-11-23T05:00:00Z"));
    const second = await start(manifest);
    healthy = true;
    await second.tickNow("site");
    expect(intents()).toEqual(["trigger wk-site:1", "resolve wk-site:2"]);
  });
});
