import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { routingKey } from "../delivery/support/harness.js";
import { testManifest, testService } from "../delivery/support/manifest.js";
import { ensureBuild, startRun, writeArtifact, type RunProcess } from "../delivery/support/process.js";
import { ChaosPagerDuty, FlippingTarget, httpMonitor, readState, seeded } from "./support/chaos.js";

/**
 * Randomized kill -9 against the real CLI (`wk run`), seeded so a failure replays:
 * WK_CHAOS_SEED picks the sequence, WK_CHAOS_ROUNDS how many kills (default 7, about a minute).
 *
 * Three monitors watch paths of a loopback target whose health the test flips at random; each
 * round starts `wk run` on the same state folder and kills it with SIGKILL at a moment the seed
 * chooses: at a random time (mid-tick), as a trigger or resolve arrives at PagerDuty (the vendor
 * acts, the runtime never hears the answer), a few milliseconds after the vendor answered (while
 * the runtime records it), while PagerDuty takes 5 s to answer, and with PagerDuty down while
 * the next runtime starts. At the end the target stays healthy and a last runtime drains.
 *
 * What must hold (docs/runtime.md "Restarts and rollouts", docs/channels.md "Guarantees"):
 * - per dedup key, what PagerDuty accepted reads trigger, resolve, trigger, ... and ends with a
 *   resolve; the only repeat allowed is the one the docs allow: the same event sent again after
 *   its runtime was killed (or the vendor's connection cut) while that request was in flight;
 * - it matches the outbox one to one: every committed trigger and resolve reached PagerDuty, and
 *   nothing reached it that did not commit;
 * - each trigger intent was written from a failing answer of the target and each resolve from a
 *   healthy one (a restart neither invents an incident nor closes one that still fails);
 * - nothing is left in the outbox or pending in the deliveries, and every alert is inactive.
 */
const SEED = Number(process.env["WK_CHAOS_SEED"] ?? 20261203);
const ROUNDS = Number(process.env["WK_CHAOS_ROUNDS"] ?? 7);
const KEY = routingKey("chaos-shop");

type KillMode = "random" | "trigger-in-flight" | "resolve-in-flight" | "after-answer" | "slow-vendor" | "vendor-down";
/** Every mode appears in the default rounds; extra rounds draw at random. */
const MODES: readonly KillMode[] = ["random", "trigger-in-flight", "after-answer", "slow-vendor", "resolve-in-flight", "vendor-down", "random"];

interface Run {
  proc: RunProcess;
  startedAt: number;
  endedAt: number | null;
  signal: "SIGKILL" | "SIGTERM" | null;
}

describe("kill -9 at random moments never re-pages, never loses a resolve (wk run, separate processes)", () => {
  const pd = new ChaosPagerDuty({ eventsPerMinute: 10_000 });
  const target = new FlippingTarget();
  let dir = "";
  const runs: Run[] = [];
  /** Moments the vendor cut its connections (stopped): like a kill, an in-flight event may be sent again. */
  const vendorCuts: number[] = [];
  const paths = { web: "/web", api: "/api", db: "/db" } as const;
  let manifest: Manifest;
  let flipping = false;

  beforeAll(async () => {
    ensureBuild();
    await Promise.all([pd.start(), target.start()]);
    dir = await mkdtemp(join(tmpdir(), "wk-chaos-"));
    manifest = testManifest({
      monitors: [
        // Fires on the first failing check.
        httpMonitor("web", `${target.url}${paths.web}`),
        // Pending first: two failures, then one second of `for`.
        httpMonitor("api", `${target.url}${paths.api}`, { failureThreshold: 2, for: "1s" }),
        // Resolves only after two healthy checks.
        httpMonitor("db", `${target.url}${paths.db}`, { successThreshold: 2 }),
      ],
      services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })],
      secrets: ["SHOP_KEY"],
    });
    await writeArtifact(join(dir, "artifact"), manifest);
  }, 240_000);

  afterAll(async () => {
    flipping = false;
    for (const r of runs) if (r.proc.proc.exitCode === null && r.proc.proc.signalCode === null) r.proc.proc.kill("SIGKILL");
    await Promise.all(runs.map((r) => r.proc.exited));
    await Promise.all([pd.stop(), target.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const db = () => join(dir, "state", "state.db");
  const start = async (): Promise<Run> => {
    const spawnedAt = Date.now();
    const proc = await startRun(join(dir, "artifact"), join(dir, "state"), { SHOP_KEY: KEY, WK_PAGERDUTY_EVENTS_URL: pd.url, WK_LOG_LEVEL: "warn" });
    const run: Run = { proc, startedAt: spawnedAt, endedAt: null, signal: null };
    runs.push(run);
    return run;
  };
  /** SIGKILL now, synchronously: called from inside the vendor's request handler too. */
  const killNow = (run: Run) => {
    if (run.endedAt !== null) return;
    run.endedAt = Date.now();
    run.signal = "SIGKILL";
    run.proc.proc.kill("SIGKILL");
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it(`holds for ${ROUNDS} seeded kills (seed ${SEED})`, async () => {
    const rng = seeded(SEED);
    const log: string[] = [];
    // The target's health flips at random, each path on its own, all along the rounds; from a
    // generator of its own, so the rounds draw the same choices however the two interleave.
    const flips = seeded(SEED ^ 0x9e3779b9);
    flipping = true;
    const flipper = (async () => {
      while (flipping) {
        const path = flips.pick(Object.values(paths));
        target.set(path, !target.isUp(path));
        await sleep(flips.between(700, 2_200));
      }
    })();

    for (let round = 0; round < ROUNDS; round++) {
      const mode = round < MODES.length ? MODES[round]! : rng.pick(MODES);
      const run = await start();
      log.push(`round ${round}: ${mode}`);
      const deadline = Date.now() + rng.between(4_000, 7_000);
      switch (mode) {
        case "random":
          await sleep(rng.between(800, 4_000));
          killNow(run);
          break;
        case "trigger-in-flight":
        case "resolve-in-flight":
        case "after-answer": {
          const action = mode === "resolve-in-flight" ? "resolve" : mode === "trigger-in-flight" ? "trigger" : null;
          const lag = rng.between(0, 25);
          // First let the runtime catch up (sends left by the last kill, a few ticks).
          await sleep(rng.between(500, 2_000));
          // Make sure an event comes: flip a path the way the mode needs.
          const path = rng.pick(Object.values(paths));
          target.set(path, false);
          if (action === "resolve") setTimeout(() => target.set(path, true), 2_500);
          pd.onArrive = (req) => {
            const body = req.json as { event_action?: string } | undefined;
            if (action !== null && body?.event_action !== action) return;
            pd.onArrive = null;
            if (action !== null) killNow(run);
            else setTimeout(() => killNow(run), lag);
          };
          while (run.endedAt === null && Date.now() < deadline) await sleep(20);
          pd.onArrive = null;
          killNow(run);
          break;
        }
        case "slow-vendor": {
          // The next event takes 5 s to be answered; the runtime dies while it waits.
          pd.failNext(1, { status: 202, body: { status: "success", message: "Event processed" }, delayMs: 5_000 });
          const path = rng.pick(Object.values(paths));
          target.set(path, !target.isUp(path));
          await sleep(rng.between(1_000, 2_500));
          killNow(run);
          // Let the slow answer finish into the dead connection before the next round.
          await sleep(500);
          pd.heal();
          break;
        }
        case "vendor-down": {
          // PagerDuty goes away; the runtime is killed and the next one starts without it.
          await sleep(rng.between(500, 2_000));
          const port = Number(new URL(pd.url).port);
          vendorCuts.push(Date.now());
          await pd.stop();
          killNow(run);
          await run.proc.exited;
          const next = await start();
          for (const path of Object.values(paths)) target.set(path, rng.next() < 0.5);
          await sleep(rng.between(1_500, 3_000));
          await pd.start(port);
          await sleep(rng.between(500, 2_500));
          killNow(next);
          await next.proc.exited;
          break;
        }
      }
      await run.proc.exited;
    }
    flipping = false;
    await flipper;

    // Stable and healthy: the last runtime must resolve and deliver everything.
    for (const path of Object.values(paths)) target.set(path, true);
    const last = await start();
    const settle = Date.now() + 40_000;
    for (;;) {
      const open = readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM alerts WHERE state != 'inactive'")[0]!.n;
      const queued = readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL")[0]!.n;
      const pending = readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM delivery_deliveries WHERE status = 'pending'")[0]!.n;
      if (open === 0 && queued === 0 && pending === 0) break;
      if (Date.now() > settle) throw new Error(`not drained: ${open} open alerts, ${queued} intents in the outbox, ${pending} pending deliveries\n${log.join("\n")}`);
      await sleep(200);
    }
    // A little longer: nothing more may arrive once everything is resolved.
    await sleep(1_500);
    last.endedAt = Date.now();
    last.signal = "SIGTERM";
    last.proc.proc.kill("SIGTERM");
    expect(await last.proc.exited, last.proc.output().slice(-3000)).toBe(0);

    const story = `seed ${SEED}, rounds:\n${log.join("\n")}`;
    expect(pd.rejections(), story).toEqual(pd.rejections().filter((r) => r.includes("injected fault")));

    // What PagerDuty accepted, per dedup key, in arrival order.
    const accepted = pd
      .accepted()
      .filter((r) => r.path === "/v2/enqueue")
      .sort((a, b) => a.at - b.at)
      .map((r) => ({ at: r.at, answeredAt: pd.answeredAt(r), ...(r.json as { event_action: string; dedup_key: string }) }));
    /**
     * A repeat is allowed when a runtime was killed, or the vendor cut its connections, while
     * the first copy was in flight: from just before it arrived (the sender may die with the
     * request still in the socket's buffer) until the runtime can have recorded the answer
     * (written to the wire, plus a second for the commit on a busy machine).
     */
    const kills = runs.filter((r) => r.signal === "SIGKILL" && r.endedAt !== null).map((r) => r.endedAt!);
    const inFlightCut = (first: { at: number; answeredAt: number }, again: number) =>
      [...kills, ...vendorCuts].some((c) => c >= first.at - 200 && c <= first.answeredAt + 1_000 && c <= again);

    const outbox = readState<{ dedup_key: string; type: string; at: number; id: string }>(
      db(),
      "SELECT dedup_key, id, json_extract(intent, '$.type') AS type, json_extract(intent, '$.at') AS at FROM outbox ORDER BY seq",
    );
    const keys = new Set([...outbox.map((o) => o.dedup_key), ...accepted.map((e) => e.dedup_key)]);
    expect(keys.size, story).toBeGreaterThan(0);
    let triggers = 0;
    let repeats = 0;
    const t = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().slice(14, 23));
    for (const key of keys) {
      const events = accepted.filter((e) => e.dedup_key === key);
      // What a failure prints: the runs, what PagerDuty accepted and what the store holds for the key.
      const timeline = [
        `${story}`,
        `runs: ${runs.map((r) => `[${t(r.startedAt)} .. ${t(r.endedAt)} ${r.signal ?? ""}]`).join(" ")}; vendor cut at ${vendorCuts.map(t).join(", ")}`,
        `accepted: ${events.map((e) => `${e.event_action}@${t(e.at)} (answered ${t(e.answeredAt)})`).join(", ")}`,
        `outbox: ${outbox.filter((o) => o.dedup_key === key).map((o) => `${o.id} ${o.type}@${t(o.at)}`).join(", ")}`,
        `deliveries: ${JSON.stringify(readState(db(), `SELECT intent_id, status, attempts, sent_at, last_error, vendor_status FROM delivery_deliveries WHERE dedup_key = '${key}' ORDER BY id`))}`,
      ].join("\n");
      // Collapse allowed repeats; any other repeat is a re-page (or a double resolve).
      const collapsed: typeof events = [];
      for (const e of events) {
        const prev = collapsed.at(-1);
        if (prev && prev.event_action === e.event_action) {
          expect(inFlightCut(prev, e.at), `${key}: ${e.event_action} sent again at ${new Date(e.at).toISOString()} with no kill while the first (${new Date(prev.at).toISOString()}) was in flight\n${timeline}`).toBe(true);
          repeats++;
          continue;
        }
        collapsed.push(e);
      }
      const intents = outbox.filter((o) => o.dedup_key === key && (o.type === "trigger" || o.type === "resolve"));
      // No gap, no repeat in what committed: trigger, resolve, trigger, ... ending resolved.
      expect(intents.map((i) => i.type), `${key}\n${timeline}`).toEqual(intents.map((_, n) => (n % 2 === 0 ? "trigger" : "resolve")));
      expect(intents.at(-1)?.type, `${key}\n${story}`).toBe("resolve");
      // One to one with what PagerDuty accepted.
      expect(collapsed.map((e) => e.event_action), `${key}\n${timeline}`).toEqual(intents.map((i) => i.type));
      triggers += intents.filter((i) => i.type === "trigger").length;
      // Each intent was written from what the target answered at that tick: a trigger from a
      // failing answer, a resolve from a healthy one, within the tick's first second.
      const path = `/${(outbox.find((o) => o.dedup_key === key)?.id ?? key).replace(/^wk-/, "").split(/[-:]/)[0]}`;
      for (const i of intents) {
        const want = i.type === "resolve";
        const seen = target.hits.some((h) => h.path === path && h.up === want && h.at >= i.at - 50 && h.at <= i.at + 1_500);
        expect(seen, `${i.id} (${i.type} at ${new Date(i.at).toISOString()}) without a ${want ? "healthy" : "failing"} answer from ${path}\n${story}`).toBe(true);
      }
    }
    expect(triggers, story).toBeGreaterThanOrEqual(3);
    expect(readState<{ status: string; n: number }>(db(), "SELECT status, COUNT(*) AS n FROM delivery_deliveries WHERE status NOT IN ('sent') GROUP BY status"), story).toEqual([]);
    // Seen in the report when run by hand: how many in-flight repeats the kills caused.
    console.info(`chaos: seed ${SEED}, ${ROUNDS} rounds, ${triggers} triggers, ${repeats} repeats after in-flight kills`);
  }, 180_000);
});
