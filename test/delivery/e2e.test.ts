import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { PagerDutyServer, SmtpFixture } from "../support/vendors/index.js";
import BetterSqlite3 from "better-sqlite3";
import { routingKey, until } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";
import { ensureBuild, kill, startRun, writeArtifact, type RunProcess } from "./support/process.js";

/** A target whose health endpoint answers what the test says, counting hits. */
class Target {
  status = 200;
  hits = 0;
  private server: Server | null = null;
  url = "";
  async start() {
    this.server = createServer((_req, res) => {
      this.hits++;
      res.writeHead(this.status).end(this.status === 200 ? "ok" : "broken");
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/health`;
  }
  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const KEY = routingKey("e2e-shop");

function sentCount(dbPath: string): number {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM delivery_deliveries WHERE status = 'sent'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function httpMonitor(id: string, url: string, extra: Parameters<typeof testMonitor>[1] = {}) {
  const base = testMonitor(id);
  return testMonitor(id, {
    schedule: { kind: "every", every: "1s" },
    check: { ...(base.check as Extract<typeof base.check, { kind: "http" }>), url, timeout: "2s", followRedirects: false },
    summary: `${id} health check failing`,
    ...extra,
  });
}

/** End to end, as separate processes: `wk run` against a flipping target and recording vendors. */
describe("wk run delivers to PagerDuty (separate processes)", () => {
  const pd = new PagerDutyServer();
  const smtp = new SmtpFixture();
  const target = new Target();
  const other = new Target();
  let dir = "";
  const runs: RunProcess[] = [];

  beforeAll(async () => {
    ensureBuild();
    await Promise.all([pd.start(), smtp.start(), target.start(), other.start()]);
  }, 180_000);
  afterEach(async () => {
    for (const r of runs.splice(0)) await kill(r, "SIGKILL");
    pd.heal();
    pd.received.length = 0;
    target.status = 200;
    other.status = 200;
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all([pd.stop(), target.stop(), other.stop()]);
    await smtp.stop();
  });

  async function launch(manifest: Manifest, env: Record<string, string> = {}, reuse = false): Promise<RunProcess> {
    if (!reuse) {
      dir = await mkdtemp(join(tmpdir(), "wk-e2e-"));
      await writeArtifact(join(dir, "artifact"), manifest);
    }
    const run = await startRun(join(dir, "artifact"), join(dir, "state"), { SHOP_KEY: KEY, WK_PAGERDUTY_EVENTS_URL: pd.url, ...env });
    runs.push(run);
    return run;
  }

  const shopManifest = () =>
    testManifest({
      monitors: [httpMonitor("shop-front", target.url, { service: "shop", labels: { tier: "web" } })],
      services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })],
      secrets: ["SHOP_KEY"],
    });

  const actions = () => pd.events().map((e) => `${e["event_action"] as string}:${e["dedup_key"] as string}`);

  it("pages on failure and resolves with the same dedup key on recovery", async () => {
    const run = await launch(shopManifest());
    target.status = 500;
    await pd.waitFor(() => pd.events().length >= 1, 15_000);
    const trigger = pd.events()[0]!;
    expect(trigger).toMatchObject({ routing_key: KEY, event_action: "trigger", dedup_key: "wk-shop-front" });
    expect(trigger["payload"]).toMatchObject({ severity: "critical", component: "shop-front", group: "shop", class: "http", source: expect.stringContaining("127.0.0.1") });
    expect((trigger["payload"] as { custom_details: Record<string, unknown> }).custom_details).toMatchObject({ monitor: "Monitor shop-front" });
    target.status = 200;
    await pd.waitFor(() => pd.events().length >= 2, 15_000);
    expect(actions()).toEqual(["trigger:wk-shop-front", "resolve:wk-shop-front"]);
    expect(run.output()).not.toContain(KEY);
  });

  it("delivers everything in order after the vendor answered 429 and 500 for a while", async () => {
    await launch(shopManifest());
    pd.failNext(2, { status: 429, body: { status: "throttle event" }, headers: { "retry-after": "1" } });
    // Counted, not timed: a window that starts before the runtime's first send can pass unseen on a
    // loaded machine.
    pd.failNext(2, { status: 500, body: { status: "error" } });
    target.status = 500;
    // Down until the monitor's trigger has reached the vendor (and been refused), however long a
    // loaded machine takes to fire it.
    await pd.waitFor((r) => r.length >= 1, 30_000);
    target.status = 200;
    await pd.waitFor(() => pd.events().length >= 2, 30_000);
    expect(pd.received.some((r) => r.status === 429) && pd.received.some((r) => r.status === 500)).toBe(true);
    expect(actions()).toEqual(["trigger:wk-shop-front", "resolve:wk-shop-front"]);
  });

  it("after kill -9 between trigger and resolve, the restarted runtime resolves without re-paging", async () => {
    const first = await launch(shopManifest());
    target.status = 500;
    await pd.waitFor(() => pd.events().length >= 1, 15_000);
    // Kill once the runtime has recorded the trigger as sent (a kill during the request itself
    // may repeat the trigger, which PagerDuty folds into the same incident by dedup key).
    await until(() => sentCount(join(dir, "state", "state.db")) >= 1, 5_000, "trigger recorded as sent");
    await kill(first, "SIGKILL");
    target.status = 200;
    await launch(shopManifest(), {}, true);
    await pd.waitFor(() => pd.events().length >= 2, 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(actions()).toEqual(["trigger:wk-shop-front", "resolve:wk-shop-front"]);
  });

  it("a 30-second SMTP server delays neither other monitors' schedules nor their pages", async () => {
    const manifest = testManifest({
      monitors: [
        httpMonitor("shop-front", target.url, { service: "shop" }),
        httpMonitor("newsletter", other.url, { channels: ["mail"] }),
      ],
      services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })],
      channels: [
        testChannel("mail", "email", { smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: null, password: null }, from: "wk@example.com", to: ["team@example.com"] }),
      ],
      secrets: ["SHOP_KEY"],
    });
    smtp.failNext(1, { kind: "slow", delayMs: 30_000 });
    await launch(manifest);
    other.status = 500;
    await new Promise((r) => setTimeout(r, 1_500));
    const hitsBefore = target.hits;
    const failedAt = Date.now();
    target.status = 500;
    await pd.waitFor(() => pd.events().length >= 1, 20_000);
    // Behind the stuck email the page would wait its 30 s; a loaded machine takes a few seconds at most.
    expect(Date.now() - failedAt).toBeLessThan(10_000);
    // Every-1s schedule kept: checks go on while the email is stuck.
    await until(() => target.hits - hitsBefore >= 3, 10_000, "three checks while the email is stuck");
    expect(smtp.mails).toHaveLength(0);
  });
});
