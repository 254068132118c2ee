import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createSecretSource } from "../../runtime/secrets.js";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { startPrometheus, type PrometheusServer } from "../support/prometheus.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * A monitor whose check keeps erroring is never invisible, even with `onError: "unknown"` (which
 * leaves its alerts alone): the status page, /readyz and /metrics say so, and still do after a
 * restart, before the monitor ticks again.
 */
let prometheus: PrometheusServer;
let dir: string;
let manifest: Manifest;
let runtime: Runtime | undefined;

const hourly = { kind: "every", every: "1h" } as const;

function promMonitor(id: string, name: string, query: string, over: Partial<MonitorSpec> = {}): MonitorSpec {
  return monitorSpec({ id, name, schedule: hourly, onError: "unknown", check: { kind: "prometheus", server: prometheus.url, query, headers: {}, timeout: "5s" }, ...over });
}

async function start(): Promise<{ runtime: Runtime; url: string }> {
  const secrets = createSecretSource({ declared: [], env: {}, now: Date.now });
  const r = await createRuntime({
    manifest,
    bundle: {},
    stateDir: join(dir, "state"),
    logger: pino({ level: "silent" }),
    secrets,
    port: 0,
    host: "127.0.0.1",
    spreadMs: 0,
  });
  runtime = r;
  return { runtime: r, url: await r.start() };
}

beforeAll(async () => {
  prometheus = await startPrometheus({ targets: [] });
  dir = await mkdtemp(join(tmpdir(), "wk-erroring-"));
  manifest = manifestOf([
    // Valid PromQL syntax that Prometheus refuses when it evaluates it (rate() needs a range vector).
    promMonitor("orders-rate", "Orders rate", "rate(up)"),
    promMonitor("always-one", "Always one", "vector(1)", { threshold: { op: "<", value: 1 } }),
  ], [], "Test status", { openReads: true });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("an erroring monitor is visible whatever onError says", () => {
  let url: string;

  beforeAll(async () => {
    ({ url } = await start());
    await runtime!.tickNow("orders-rate");
    await runtime!.tickNow("always-one");
  }, 30_000);

  it("changes no alert with onError unknown, yet the status page shows it as erroring, never Operational", async () => {
    expect((await runtime!.store.alertsOf("orders-rate")).filter((a) => a.state !== "inactive")).toEqual([]);
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain('data-monitor-state="orders-rate">Erroring</span>');
    expect(page).toContain('<li class="monitor" data-id="orders-rate" data-state="erroring"');
    expect(page).toContain('data-monitor-state="always-one">OK</span>');
    expect(page).not.toContain("monitors OK");
    expect(page).toContain("1 of 2 monitors cannot be checked");
  });

  it("/readyz stays ready (the process is fine) and lists the erroring monitor with Prometheus's reason", async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ready: boolean; erroringMonitors: Array<{ id: string; reason: string; at: number }> };
    expect(body.ready).toBe(true);
    expect(body.erroringMonitors).toEqual([{ id: "orders-rate", reason: expect.stringMatching(/^Prometheus rejected the query \(bad_data\): .*range vector/), at: expect.any(Number) }]);
  });

  it("/metrics has watchkeeper_monitor_erroring per monitor and counts check errors by monitor and reason", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^watchkeeper_monitor_erroring\{monitor="orders-rate"\} 1$/m);
    expect(text).toMatch(/^watchkeeper_monitor_erroring\{monitor="always-one"\} 0$/m);
    expect(text).toMatch(/^watchkeeper_check_errors_total\{monitor="orders-rate",reason="bad-response"\} 1$/m);
    expect(text).not.toMatch(/watchkeeper_check_errors_total\{monitor="always-one"/);
  });

  it("is still shown as erroring after a restart, before the monitor ticks again", async () => {
    await runtime!.stop();
    runtime = undefined;
    const again = await start();
    const body = (await (await fetch(`${again.url}/readyz`)).json()) as { erroringMonitors: Array<{ id: string }> };
    expect(body.erroringMonitors.map((m) => m.id)).toEqual(["orders-rate"]);
    const metrics = await (await fetch(`${again.url}/metrics`)).text();
    expect(metrics).toMatch(/^watchkeeper_monitor_erroring\{monitor="orders-rate"\} 1$/m);
  }, 30_000);
});
