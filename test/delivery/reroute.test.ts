import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createDelivery, deliverySettingsFromEnv } from "../../runtime/notify/index.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { routingKey } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";

const PAYMENTS_KEY = routingKey("reroute-payments");
const CHECKOUT_KEY = routingKey("reroute-checkout");

/**
 * A deploy moves a monitor whose alert is firing to another service: the new service's on-call
 * gets the open incident, and the old service's incident is resolved, while the target still fails.
 */
describe("a firing alert whose monitor's routing changes in a deploy", { timeout: 60_000 }, () => {
  const pd = new PagerDutyServer();
  let target: Server;
  let url = "";
  let dir = "";
  let runtime: Runtime | null = null;

  beforeAll(async () => {
    await pd.start();
    target = createServer((_req, res) => res.writeHead(500).end("broken"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
    if (dir) await rm(dir, { recursive: true, force: true });
    pd.received.length = 0;
  });
  afterAll(async () => {
    await pd.stop();
    await new Promise<void>((r) => target.close(() => r()));
  });

  const manifestRoutingTo = (service: string): Manifest => {
    const base = testMonitor("api");
    const monitor: MonitorSpec = testMonitor("api", {
      schedule: { kind: "every", every: "1s" },
      check: { ...(base.check as Extract<MonitorSpec["check"], { kind: "http" }>), url, timeout: "1s", followRedirects: false },
      service,
    });
    return testManifest({
      monitors: [monitor],
      services: [testService("payments", { routingKey: { secret: "PAYMENTS_KEY" } }), testService("checkout", { routingKey: { secret: "CHECKOUT_KEY" } })],
      secrets: ["PAYMENTS_KEY", "CHECKOUT_KEY"],
    });
  };
  const run = async (manifest: Manifest): Promise<Runtime> => {
    const env = { PAYMENTS_KEY, CHECKOUT_KEY, WK_PAGERDUTY_EVENTS_URL: pd.url };
    const secrets = createSecretSource({ declared: manifest.secrets, env, dir: null, now: Date.now });
    const rt = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      logger: pino({ level: "silent" }),
      secrets,
      delivery: (deps) => createDelivery(deps, { settings: deliverySettingsFromEnv(env), pollMs: 20 }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
    });
    await rt.start();
    return rt;
  };
  const actions = (key: string) => pd.events().filter((e) => e["routing_key"] === key).map((e) => e["event_action"]);

  it("pages the new service with the open incident and resolves the old one's", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-reroute-"));
    await mkdir(join(dir, "state"), { recursive: true });
    runtime = await run(manifestRoutingTo("payments"));
    await pd.waitFor(() => actions(PAYMENTS_KEY).length === 1, 30_000);
    await runtime.stop();

    runtime = await run(manifestRoutingTo("checkout"));
    await pd.waitFor(() => actions(CHECKOUT_KEY).length === 1 && actions(PAYMENTS_KEY).length === 2, 30_000);
    expect(actions(PAYMENTS_KEY)).toEqual(["trigger", "resolve"]);
    expect(actions(CHECKOUT_KEY)).toEqual(["trigger"]);
    expect(pd.events().every((e) => e["dedup_key"] === "wk-api")).toBe(true);
    // The alert still fires: once the target is fixed, the new service's incident is the one resolved.
    expect((await runtime.store.alertsOf("api"))[0]).toMatchObject({ state: "firing" });

    // A restart with the same routing sends nothing more.
    await runtime.stop();
    runtime = await run(manifestRoutingTo("checkout"));
    await runtime.tickNow("api");
    expect(actions(PAYMENTS_KEY)).toEqual(["trigger", "resolve"]);
    expect(actions(CHECKOUT_KEY)).toEqual(["trigger"]);
  });
});
