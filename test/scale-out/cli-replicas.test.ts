import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../runtime/support/child-process.js";
import { writeArtifact } from "../runtime/support/manifest.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** The real CLI entry (`bin/watchkeeper.js` runs the compiled build: `npm run build` first). */
const BIN = join(ROOT, "bin/watchkeeper.js");
const available = await redisAnswers();
const KEY = "checkout0123456789abcdef01234567".slice(0, 32);
/**
 * A send's lease beyond its 10 s HTTP timeout (30 s in production): still longer than the slow
 * vendor's 4 s answer below, so the replica killed mid-send held a live lease, and a resend after
 * the kill comes within seconds instead of the 40 s a production lease takes.
 */
const LEASE_MARGIN_MS = 2_000;

interface Replica {
  name: string;
  proc: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `wk run --redis` as an operator starts it, waiting for the line that says where it listens. */
async function startReplica(name: string, artifact: string, state: string, prefix: string, env: Record<string, string>): Promise<Replica> {
  const proc = spawn(process.execPath, [BIN, "run", "--artifact", artifact, "--state", state, "--redis", TEST_REDIS_URL, "--redis-prefix", prefix, "--port", "0", "--host", "127.0.0.1"], {
    env: { ...process.env, WK_SPREAD: "0s", WK_STALL_INTERVAL: "1s", WK_DELIVERY_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS), WK_LOG_LEVEL: "info", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => proc.once("exit", (code) => done(code)));
  const url = await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000, `replica ${name} to listen:\n${out}`);
  return { name, proc, url, output: () => out, exited };
}

/**
 * Three `wk run --redis` processes (the CLI, so delivery runs as BullMQ jobs with the shared rate
 * gate, as in production) page PagerDuty for one failure: one trigger and one resolve at the
 * vendor, even when the replica that delivered the trigger is killed with -9 before the resolve.
 */
describe.skipIf(!available)("wk run --redis: queued delivery across replica processes", () => {
  let dir: string;
  const target = new TickTarget();
  const pd = new PagerDutyServer();
  const prefix = testPrefix();
  const replicas: Replica[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-cli-replicas-"));
    await target.start();
    await pd.start();
    const manifest = testManifest({
      monitors: [
        testMonitor("checkout", {
          schedule: { kind: "every", every: "1s" },
          check: { kind: "script", timeout: "2s" },
          code: { condition: false, summary: false, run: true, extract: false },
          service: "shop",
          severity: "critical",
        }),
      ],
      services: [testService("shop", { routingKey: { secret: "PD_ROUTING_SHOP" } })],
      secrets: ["PD_ROUTING_SHOP"],
    });
    await writeArtifact(join(dir, "artifact"), manifest, hitBundle(["checkout"], target.port));
  });

  afterAll(async () => {
    for (const r of replicas) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
    await target.stop();
    await pd.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
  });

  const TOKEN = "replica-test-api-token-0123456789";
  const env = () => ({ WK_PAGERDUTY_EVENTS_URL: pd.url, PD_ROUTING_SHOP: KEY, WATCHKEEPER_API_TOKEN: TOKEN });
  const deliveries = async (r: Replica): Promise<Array<{ type: string; status: string }>> => {
    const res = await fetch(`${r.url}/api/deliveries?dedupKey=wk-checkout`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.ok ? ((await res.json()) as { deliveries: Array<{ type: string; status: string }> }).deliveries : [];
  };
  const stopAll = async () => {
    for (const r of replicas.splice(0)) {
      if (r.proc.exitCode !== null || r.proc.signalCode !== null) continue;
      r.proc.kill("SIGTERM");
      expect(await r.exited).toBe(0);
    }
  };

  it("sends one trigger and one resolve, and the last replica finishes after two are killed with -9", async () => {
    // Started together, as a deployment's replicas are.
    replicas.push(...(await Promise.all(["a", "b", "c"].map((name) => startReplica(name, join(dir, "artifact"), join(dir, `state-${name}`), prefix, env())))));
    await waitFor(async () => (await fetch(`${replicas[0]!.url}/readyz`)).ok, 20_000, "replica a ready");

    target.failing.add("checkout");
    await waitFor(async () => (await deliveries(replicas[0]!)).some((d) => d.type === "trigger" && d.status === "sent"), 30_000, "the trigger recorded as sent");

    // Two replicas die without a goodbye (whichever sent the trigger among them or not): the one
    // left sees the recovery alone and delivers the resolve.
    const killed = replicas.slice(1);
    for (const r of killed) r.proc.kill("SIGKILL");
    await Promise.all(killed.map((r) => r.exited));

    target.failing.delete("checkout");
    await waitFor(() => pd.events().some((e) => e.event_action === "resolve"), 30_000, "the resolve at PagerDuty");
    // Long enough for a duplicate (a re-run job, a second replica's transition) to show up.
    await new Promise((r) => setTimeout(r, 4_000));

    expect(pd.events().map((e) => [e.event_action, e.dedup_key, e.routing_key])).toEqual([
      ["trigger", "wk-checkout", KEY],
      ["resolve", "wk-checkout", KEY],
    ]);
    for (const r of replicas) expect(r.output()).not.toContain(KEY);
    await stopAll();
  }, 120_000);

  it("resends a trigger whose replica died mid-send, then resolves, within the lease", async () => {
    pd.received.length = 0;
    // The vendor takes 4 s to answer the first request: the sender is killed while it waits.
    pd.failNext(1, { status: 202, body: { status: "success", message: "Event processed", dedup_key: "wk-checkout" }, delayMs: 4_000 });
    const first = await startReplica("d", join(dir, "artifact"), join(dir, "state-d"), prefix, env());
    replicas.push(first);
    target.failing.add("checkout");
    // The first case's trigger and resolve are on record already; this incident's trigger is the third delivery.
    await waitFor(async () => (await deliveries(first)).filter((d) => d.type === "trigger").length === 2, 30_000, "the trigger delivery recorded");
    await new Promise((r) => setTimeout(r, 1_500));
    first.proc.kill("SIGKILL");
    await first.exited;

    const survivor = await startReplica("e", join(dir, "artifact"), join(dir, "state-e"), prefix, env());
    replicas.push(survivor);
    // Lease: the 10 s HTTP timeout plus LEASE_MARGIN_MS; BullMQ finds the stalled job within 15 s
    // (its 10 s lock, then the 5 s stalled check), and the resend waits for the lease's end.
    await waitFor(async () => (await deliveries(survivor)).filter((d) => d.type === "trigger" && d.status === "sent").length === 2, 70_000, "the trigger resent by the survivor");
    target.failing.delete("checkout");
    await waitFor(() => pd.events().some((e) => e.event_action === "resolve"), 30_000, "the resolve at PagerDuty");
    await new Promise((r) => setTimeout(r, 3_000));

    // At least once: the killed replica's request reached the vendor, so a second trigger (the same
    // dedup key, one incident at PagerDuty) is the price of not losing it. Then one resolve, last.
    const actions = pd.events().map((e) => e.event_action);
    expect(actions.filter((a) => a === "resolve")).toHaveLength(1);
    expect(actions.at(-1)).toBe("resolve");
    expect(actions.filter((a) => a === "trigger").length).toBeGreaterThanOrEqual(1);
    await stopAll();
  }, 150_000);
});
