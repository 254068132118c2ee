import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { routingKey } from "../delivery/support/harness.js";
import { testManifest, testService } from "../delivery/support/manifest.js";
import { ensureBuild, kill, startRun, writeArtifact, type RunProcess } from "../delivery/support/process.js";
import { pagerDutySignature } from "../../runtime/inbound/signature.js";
import { ChaosPagerDuty, FlippingTarget, httpMonitor, readState } from "./support/chaos.js";

const KEY = routingKey("chaos-rollout");
const TOKEN = "chaos-rollout-api-token";
const WEBHOOK_SECRET = "chaos-rollout-webhook-secret";

/**
 * Kill -9 around a changed manifest and around state a person set (a silence), against the real
 * CLI: what PagerDuty receives must still be one trigger and one resolve per incident.
 */
describe("kill -9 across a rollout and a silence (wk run, separate processes)", () => {
  const pd = new ChaosPagerDuty({ eventsPerMinute: 10_000 });
  const target = new FlippingTarget();
  let dir = "";
  const running: RunProcess[] = [];

  beforeAll(async () => {
    ensureBuild();
    await Promise.all([pd.start(), target.start()]);
  }, 240_000);
  afterEach(async () => {
    for (const r of running.splice(0)) await kill(r, "SIGKILL");
    pd.received.length = 0;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = "";
  });
  afterAll(async () => {
    await Promise.all([pd.stop(), target.stop()]);
  });

  const launch = async (monitors: MonitorSpec[]): Promise<RunProcess> => {
    if (!dir) dir = await mkdtemp(join(tmpdir(), "wk-chaos-rollout-"));
    const manifest = testManifest({ monitors, services: [testService("shop", { routingKey: { secret: "SHOP_KEY" } })], secrets: ["SHOP_KEY", "WATCHKEEPER_API_TOKEN", "PAGERDUTY_WEBHOOK_SECRET"] });
    // A rollout replaces the artifact in place, as a new image does.
    await writeArtifact(join(dir, "artifact"), manifest);
    const run = await startRun(join(dir, "artifact"), join(dir, "state"), {
      SHOP_KEY: KEY,
      WATCHKEEPER_API_TOKEN: TOKEN,
      PAGERDUTY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WK_PAGERDUTY_EVENTS_URL: pd.url,
      WK_LOG_LEVEL: "warn",
    });
    running.push(run);
    return run;
  };
  const db = () => join(dir, "state", "state.db");
  const sent = (key: string) => readState<{ n: number }>(db(), `SELECT COUNT(*) AS n FROM delivery_notify_log WHERE dedup_key = '${key}'`)[0]!.n > 0;
  const actions = (key: string) => pd.events().filter((e) => e["dedup_key"] === key).map((e) => e["event_action"] as string);
  /** Consecutive repeats folded: a kill while a request is in flight may send it again (docs/channels.md, "Guarantees"). */
  const folded = (key: string) => actions(key).filter((a, n, all) => n === 0 || all[n - 1] !== a);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("a renamed monitor keeps its incident (no second trigger) and a removed one's incident is resolved at PagerDuty", async () => {
    target.set("/checkout", false);
    target.set("/legacy", false);
    const first = await launch([httpMonitor("checkout", `${target.url}/checkout`), httpMonitor("legacy", `${target.url}/legacy`)]);
    await pd.waitFor(() => actions("wk-checkout").length === 1 && actions("wk-legacy").length === 1, 15_000);
    await pd.waitFor(() => sent("wk-checkout") && sent("wk-legacy"), 5_000);
    await kill(first, "SIGKILL");

    // The new manifest: `checkout` is now `checkout-api` (previousIds), `legacy` is gone. Both
    // still fail. Killed once more a moment after start, while the rollout's work may be in flight.
    const renamed = [httpMonitor("checkout-api", `${target.url}/checkout`, { previousIds: ["checkout"] })];
    const second = await launch(renamed);
    await sleep(300);
    await kill(second, "SIGKILL");
    const third = await launch(renamed);
    await sleep(3_000);
    expect(actions("wk-checkout"), "the renamed monitor must not page again").toEqual(["trigger"]);
    expect(pd.events().filter((e) => e["event_action"] === "trigger")).toHaveLength(2);

    // The removed monitor's incident: docs/runtime.md says its alert "is resolved with a resolve
    // intent"; nobody may be left with a PagerDuty incident that no runtime will ever close.
    await pd.waitFor(() => actions("wk-legacy").includes("resolve"), 10_000).catch(() => undefined);
    const legacy = readState<{ destination: string; status: string; last_error: string | null }>(
      db(),
      "SELECT destination, status, last_error FROM delivery_deliveries WHERE dedup_key = 'wk-legacy' AND type = 'resolve'",
    );
    expect({ pagerDuty: folded("wk-legacy"), deliveries: legacy }).toEqual({ pagerDuty: ["trigger", "resolve"], deliveries: [expect.objectContaining({ status: "sent" })] });

    // Recovery: the incident opened under the old id is the one resolved, once.
    target.set("/checkout", true);
    await pd.waitFor(() => actions("wk-checkout").includes("resolve"), 15_000);
    await sleep(1_500);
    await kill(third, "SIGTERM");
    expect(actions("wk-checkout")).toEqual(["trigger", "resolve"]);
    expect(folded("wk-legacy")).toEqual(["trigger", "resolve"]);
    expect(readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL")[0]!.n).toBe(0);
  }, 90_000);

  it("a removed monitor whose trigger was still waiting for PagerDuty opens no incident after the rollout", async () => {
    // PagerDuty is down: the trigger waits in the deliveries when the runtime is killed.
    const port = Number(new URL(pd.url).port);
    await pd.stop();
    target.set("/gone", false);
    const first = await launch([httpMonitor("gone", `${target.url}/gone`), httpMonitor("stays", `${target.url}/stays`)]);
    // Waiting after a first attempt that PagerDuty refused.
    const waiting = () => readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM delivery_deliveries WHERE dedup_key = 'wk-gone' AND type = 'trigger' AND status = 'pending' AND attempts > 0")[0]!.n > 0;
    try {
      const until = Date.now() + 10_000;
      while (!waiting()) {
        if (Date.now() > until) throw new Error("the trigger never waited for PagerDuty");
        await sleep(50);
      }
      await kill(first, "SIGKILL");
    } finally {
      await pd.start(port);
    }
    // The monitor leaves the manifest while its alert fires: the rollout resolves the alert, and
    // PagerDuty must end with no open incident for it (nothing sent, or a trigger and its resolve).
    const second = await launch([httpMonitor("stays", `${target.url}/stays`)]);
    await pd.waitFor(() => readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM delivery_deliveries WHERE dedup_key = 'wk-gone' AND status = 'pending'")[0]!.n === 0, 15_000).catch(() => undefined);
    await sleep(1_000);
    await kill(second, "SIGTERM");
    // Nobody is paged for a monitor that is gone, and no incident is left open. The trigger was
    // attempted, and an attempt may reach PagerDuty unanswered (a timeout, a kill mid-request), so
    // its resolve is sent: a resolve of an incident that never opened changes nothing there.
    expect(actions("wk-gone")).toEqual(["resolve"]);
    expect(readState<{ type: string; status: string; last_error: string | null }>(db(), "SELECT type, status, last_error FROM delivery_deliveries WHERE dedup_key = 'wk-gone' ORDER BY id")).toEqual([
      { type: "trigger", status: "skipped", last_error: "monitor gone left the manifest" },
      { type: "resolve", status: "sent", last_error: null },
    ]);
  }, 60_000);

  it("a removed monitor whose trigger reached PagerDuty as the runtime was killed has its incident resolved after the rollout", async () => {
    target.set("/went", false);
    let first: RunProcess | null = null;
    // Killed as the trigger arrives: PagerDuty opens the incident, the runtime never hears.
    pd.onArrive = (req) => {
      if ((req.json as { dedup_key?: string } | undefined)?.dedup_key === "wk-went" && first) first.proc.kill("SIGKILL");
    };
    try {
      first = await launch([httpMonitor("went", `${target.url}/went`), httpMonitor("stays", `${target.url}/stays`)]);
      await first.exited;
    } finally {
      pd.onArrive = null;
    }
    expect(actions("wk-went")).toEqual(["trigger"]);
    // The monitor leaves the manifest in the same rollout: its incident must not stay open.
    const second = await launch([httpMonitor("stays", `${target.url}/stays`)]);
    await pd.waitFor(() => actions("wk-went").includes("resolve"), 10_000).catch(() => undefined);
    await sleep(500);
    await kill(second, "SIGTERM");
    expect(folded("wk-went")).toEqual(["trigger", "resolve"]);
  }, 60_000);

  it("a renamed monitor's trigger that committed but was not yet dispatched when killed still pages once", async () => {
    // PagerDuty is down, so nothing reaches it in the first run.
    const port = Number(new URL(pd.url).port);
    await pd.stop();
    target.set("/cart", false);
    let first: RunProcess;
    try {
      first = await launch([httpMonitor("cart", `${target.url}/cart`)]);
      const until = Date.now() + 10_000;
      while (readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM outbox WHERE dedup_key = 'wk-cart'")[0]!.n === 0) {
        if (Date.now() > until) throw new Error("the alert never fired");
        await sleep(50);
      }
      await kill(first, "SIGKILL");
    } finally {
      await pd.start(port);
    }
    // The state a kill leaves between the commit and the dispatcher's next poll (10 ms): the
    // trigger in the outbox, not yet dispatched.
    const state = new BetterSqlite3(db());
    state.exec("UPDATE outbox SET dispatched_at = NULL WHERE dedup_key = 'wk-cart'; DELETE FROM delivery_deliveries WHERE dedup_key = 'wk-cart'; DELETE FROM delivery_firing WHERE dedup_key = 'wk-cart';");
    state.close();
    // Rolled out renamed; the check still fails: the carried alert's trigger must go out once.
    const second = await launch([httpMonitor("cart-api", `${target.url}/cart`, { previousIds: ["cart"] })]);
    await pd.waitFor(() => actions("wk-cart").length > 0, 10_000).catch(() => undefined);
    await sleep(1_500);
    await kill(second, "SIGTERM");
    expect({
      pagerDuty: actions("wk-cart"),
      deliveries: readState(db(), "SELECT intent_id, status, last_error FROM delivery_deliveries WHERE dedup_key = 'wk-cart' ORDER BY id"),
    }).toEqual({ pagerDuty: ["trigger"], deliveries: [{ intent_id: "wk-cart:1", status: "sent", last_error: null }] });
  }, 60_000);

  it("an acknowledgement from PagerDuty survives kill -9: no reminder and no new trigger while the check keeps failing", async () => {
    const acked = () => [httpMonitor("acked", `${target.url}/acked`, { repeatEvery: "2s" })];
    target.set("/acked", false);
    const first = await launch(acked());
    await pd.waitFor(() => actions("wk-acked").length >= 1, 15_000);
    const openedAt = pd.received.find((r) => (r.json as { dedup_key?: string } | undefined)?.dedup_key === "wk-acked")!.at;
    const body = JSON.stringify({
      event: {
        id: "evt-chaos-ack",
        event_type: "incident.acknowledged",
        resource_type: "incident",
        occurred_at: new Date().toISOString(),
        agent: { id: "PUSER01", summary: "Ada Lovelace", type: "user_reference" },
        client: null,
        data: { id: "PINC001", type: "incident", number: 1, status: "acknowledged", incident_key: "wk-acked", created_at: new Date(openedAt).toISOString(), title: "acked" },
      },
    });
    const res = await fetch(`${first.url}/webhooks/pagerduty`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET), "x-webhook-id": "wh-chaos-ack" },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const ackedAt = Date.now();
    // Killed right after the acknowledgement was answered.
    await kill(first, "SIGKILL");
    const second = await launch(acked());
    await sleep(5_000);
    await kill(second, "SIGKILL");
    const state = readState<{ state: string; by: string | null }>(db(), "SELECT state, json_extract(data, '$.acknowledgedBy') AS by FROM alerts WHERE dedup_key = 'wk-acked'");
    expect(state).toEqual([{ state: "firing", by: "Ada Lovelace" }]);
    // Reminders stop at the acknowledgement, across the restart; nothing pages again.
    const intents = readState<{ type: string; created_at: number }>(db(), "SELECT json_extract(intent, '$.type') AS type, created_at FROM outbox WHERE dedup_key = 'wk-acked' ORDER BY seq");
    expect(intents.filter((i) => i.created_at > ackedAt && i.type !== "acknowledge")).toEqual([]);
    // Every trigger or reminder that committed reached PagerDuty once (a kill in flight may repeat one).
    const pages = intents.filter((i) => i.type === "trigger" || i.type === "remind").length;
    expect(actions("wk-acked").filter((a) => a === "trigger").length).toBeGreaterThanOrEqual(pages);
    expect(actions("wk-acked").filter((a) => a === "trigger").length).toBeLessThanOrEqual(pages + 1);
  }, 60_000);

  it("a silence set through the API still mutes a trigger after kill -9, and its resolve still passes", async () => {
    target.set("/quiet", true);
    const first = await launch([httpMonitor("quiet", `${target.url}/quiet`)]);
    const res = await fetch(`${first.url}/api/silences`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ comment: "database migration", createdBy: "ada", matchers: { monitors: ["quiet"] }, duration: "1h" }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await kill(first, "SIGKILL");

    const second = await launch([httpMonitor("quiet", `${target.url}/quiet`)]);
    target.set("/quiet", false);
    const fired = () => readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM delivery_deliveries WHERE dedup_key = 'wk-quiet' AND type = 'trigger'")[0]!.n > 0;
    await pd.waitFor(() => fired(), 10_000);
    await kill(second, "SIGKILL");
    const third = await launch([httpMonitor("quiet", `${target.url}/quiet`)]);
    await sleep(2_000);
    target.set("/quiet", true);
    await pd.waitFor(() => readState<{ n: number }>(db(), "SELECT COUNT(*) AS n FROM delivery_deliveries WHERE dedup_key = 'wk-quiet' AND type = 'resolve' AND status != 'pending'")[0]!.n > 0, 10_000);
    await kill(third, "SIGTERM");
    // Muted trigger, and no resolve for an incident PagerDuty never opened.
    expect(actions("wk-quiet")).toEqual([]);
    expect(readState<{ type: string; status: string }>(db(), "SELECT type, status FROM delivery_deliveries WHERE dedup_key = 'wk-quiet' ORDER BY id")).toEqual([
      { type: "trigger", status: "suppressed" },
      { type: "resolve", status: "skipped" },
    ]);
  }, 60_000);
});
