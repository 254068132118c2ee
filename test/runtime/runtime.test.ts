import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { loadArtifact } from "../../runtime/artifact.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { parseExposition } from "./support/exposition.js";
import { manifestOf, monitorSpec, writeArtifact } from "./support/manifest.js";

const CANARY = "canary-0d1f5e-do-not-log";
const API_TOKEN = "api-token-for-the-detail-api";
const every1s = { kind: "every", every: "1s" } as const;

function httpCheck(url: string, headers: Record<string, string | { secret: string }> = {}): MonitorSpec["check"] {
  return { ...monitorSpec({ id: "x" }).check, url, headers } as MonitorSpec["check"];
}

/** One runtime in this process with a real clock, real HTTP targets and a script check that hangs. */
describe("runtime (in process, real clock, real targets)", () => {
  let dir: string;
  let good: Server;
  let bad: Server;
  let runtime: Runtime;
  let url: string;
  let logs = "";
  const lags: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-runtime-"));
    good = createServer((_req, res) => res.writeHead(200).end("ok"));
    // The failing target echoes what it was sent, so a secret header could travel into messages.
    bad = createServer((req, res) => res.writeHead(500).end(`rejected ${req.headers.authorization ?? ""}`));
    await Promise.all([good, bad].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", r))));
    await writeFile(join(dir, "loadavg"), "3.50 2.10 1.00 2/345 6789\n");
    await writeFile(join(dir, "meminfo"), "MemTotal:        2048000 kB\nMemAvailable:     512000 kB\n");
    const base = (s: Server) => `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    const manifest = manifestOf(
      [
        monitorSpec({ id: "site-up", name: "Public site", schedule: every1s, check: httpCheck(`${base(good)}/`) }),
        monitorSpec({ id: "site-down", name: "Checkout API", schedule: every1s, check: httpCheck(`${base(bad)}/`, { authorization: { secret: "CANARY_TOKEN" } }),
          diagnostics: [{ kind: "hostLoad", loadavgFile: join(dir, "loadavg"), meminfoFile: join(dir, "meminfo") }] }),
        monitorSpec({ id: "stuck", schedule: every1s, check: { kind: "script", timeout: "1s" }, code: { condition: false, summary: false, run: true, extract: false } }),
        monitorSpec({ id: "broken", schedule: every1s, check: httpCheck(`${base(good)}/`), code: { condition: true, summary: false, run: false, extract: false } }),
        monitorSpec({ id: "cron-job", schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m", token: null } }),
      ],
      ["CANARY_TOKEN", "MISSING_TOKEN"],
      "Example status",
    );
    // `stuck` ignores its abort signal entirely: only the runtime's deadline can free its slot.
    await writeArtifact(join(dir, "artifact"), manifest, "export default { stuck: { run() { return new Promise(() => {}); } } };\n");
    const artifact = await loadArtifact(join(dir, "artifact"));
    const secrets = createSecretSource({ declared: manifest.secrets, env: { CANARY_TOKEN: CANARY, WATCHKEEPER_API_TOKEN: API_TOKEN }, now: Date.now });
    const destination = new Writable({ write(chunk, _e, done) { logs += String(chunk); done(); } });
    runtime = await createRuntime({
      manifest: artifact.manifest,
      bundle: artifact.bundle,
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => secrets.values(), destination }),
      secrets,
      port: 0,
      host: "127.0.0.1",
      concurrency: 3,
      spreadMs: 0,
      onLag: (ms) => lags.push(ms),
    });
    url = await runtime.start();
    await new Promise((r) => setTimeout(r, 5_500));
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([good, bad].map((s) => new Promise<void>((r) => s.close(() => r()))));
    await rm(dir, { recursive: true, force: true });
  });

  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${API_TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("keeps every other monitor on time while a check hangs", async () => {
    const up = await runtime.store.recentResults("site-up");
    expect(up.length).toBeGreaterThanOrEqual(4);
    const ats = up.map((r) => r.at).sort();
    for (let i = 1; i < ats.length; i++) expect(ats[i]! - ats[i - 1]!).toBe(1000);
    // Ticks started within 250 ms of their schedule although a check never returned.
    expect(Math.max(...lags)).toBeLessThan(250);
    const stuck = await runtime.store.recentResults("stuck");
    expect(stuck.length).toBeGreaterThanOrEqual(1);
    expect(stuck[0]).toMatchObject({ ok: false, firing: true });
  });

  it("fires an alert for the failing target and prints the trigger on the log channel", async () => {
    const { body } = await json("/api/alerts");
    const keys = (body.alerts as Array<{ dedupKey: string; state: string }>).map((a) => `${a.dedupKey}=${a.state}`);
    expect(keys).toContain("wk-site-down=firing");
    expect(keys).not.toContain("wk-site-up=firing");
    const triggers = logs.split("\n").filter((l) => l.includes('"msg":"notification"') && l.includes('"id":"wk-site-down:1"'));
    expect(triggers).toHaveLength(1);
    const trigger = JSON.parse(triggers[0]!).notification as { type: string; details: { diagnostics?: string } };
    expect(trigger).toMatchObject({ type: "trigger", monitorId: "site-down", severity: "critical" });
    // The monitor's diagnostics ran when it fired and ride on the trigger (custom_details, emails).
    expect(trigger.details.diagnostics).toContain("3.5");
  });

  it("lists a missing secret by name in /readyz and /metrics, and a broken bundle export", async () => {
    const { status, body } = await json("/readyz");
    expect(status).toBe(200);
    expect(body).toMatchObject({ ready: true, store: "writable", missingSecrets: ["MISSING_TOKEN"] });
    expect(body.brokenMonitors).toEqual(["broken: bundle lacks condition()"]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('watchkeeper_secret_missing{name="MISSING_TOKEN"} 1');
    expect(metrics).toContain('watchkeeper_secret_missing{name="CANARY_TOKEN"} 0');
    expect(metrics).toContain('watchkeeper_bundle_missing_export{monitor="broken",export="condition"} 1');
    expect(metrics).toMatch(/watchkeeper_checks_total\{kind="http",result="failed"\} [1-9]/);
    expect(metrics).toMatch(/watchkeeper_scheduling_lag_seconds_count [1-9]/);
    expect(metrics).toMatch(/watchkeeper_alerts\{state="firing"\} [1-9]/);
    expect(metrics).toContain("watchkeeper_outbox_depth");
    // The pruner's first run, at start, timed its batch (nothing was past retention yet).
    expect(metrics).toMatch(/watchkeeper_prune_batch_seconds_count [1-9]/);
    expect(metrics).toContain("watchkeeper_pruned_rows_total 0");
    expect(logs).toContain('"secret":"MISSING_TOKEN"');
    expect((await runtime.store.recentResults("broken"))[0]).toMatchObject({ ok: false, firing: true });
  });

  it("serves per-monitor up, duration, last success and alert state that Prometheus's own rules accept, and no per-monitor histogram", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    // promtool (Debian's prometheus package) parses the exposition and lints it by Prometheus's rules.
    const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(lint.error, "promtool must be installed (scripts/ensure-system.sh)").toBeUndefined();
    const findings = `${lint.stdout}${lint.stderr}`.split("\n").filter((l) => l.trim() !== "");
    // A parse error would stop the lint with "error while linting"; prom-client's own Node.js gauges
    // named `_total` are its lint findings, not ours.
    expect(findings.filter((l) => !/^nodejs_\w+ non-counter metrics should not have "_total" suffix$/.test(l))).toEqual([]);
    const samples = parseExposition(text);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length)?.value;
    expect(value("watchkeeper_monitor_up", { monitor: "site-up" })).toBe(1);
    expect(value("watchkeeper_monitor_up", { monitor: "site-down" })).toBe(0);
    expect(value("watchkeeper_monitor_alert_state", { monitor: "site-down", state: "firing" })).toBe(1);
    expect(value("watchkeeper_monitor_alert_state", { monitor: "site-down", state: "ok" })).toBe(0);
    expect(value("watchkeeper_monitor_alert_state", { monitor: "site-up", state: "ok" })).toBe(1);
    // Exactly one state per monitor.
    for (const monitor of ["site-up", "site-down", "stuck", "broken", "cron-job"]) {
      const states = samples.filter((x) => x.name === "watchkeeper_monitor_alert_state" && x.labels["monitor"] === monitor);
      expect(states.map((x) => x.labels["state"]).sort()).toEqual(["acknowledged", "firing", "ok", "pending"]);
      expect(states.reduce((sum, x) => sum + x.value, 0)).toBe(1);
    }
    const duration = value("watchkeeper_monitor_last_duration_seconds", { monitor: "site-up" })!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(2);
    const lastSuccess = value("watchkeeper_monitor_last_success_timestamp_seconds", { monitor: "site-up" })!;
    expect(Date.now() / 1000 - lastSuccess).toBeLessThan(10);
    expect(value("watchkeeper_monitor_last_success_timestamp_seconds", { monitor: "site-down" })).toBeUndefined();
    // The heartbeat monitor has had no tick yet: no up series rather than a guess.
    expect(value("watchkeeper_monitor_up", { monitor: "cron-job" })).toBeUndefined();
    expect(samples.some((x) => x.name.endsWith("_bucket") && "monitor" in x.labels)).toBe(false);
  });

  it("never writes the canary secret value to the logs", () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(CANARY);
  });

  it("accepts heartbeats for heartbeat monitors and 404s unknown ids with a metric", async () => {
    expect((await json("/heartbeat/cron-job", { method: "POST" })).status).toBe(200);
    expect(await runtime.store.lastHeartbeat("cron-job")).toBeGreaterThan(0);
    expect((await json("/heartbeat/no-such-job", { method: "POST" })).status).toBe(404);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain("watchkeeper_heartbeat_unknown_total 1");
    expect(logs).toContain("heartbeat for an unknown monitor id");
  });

  it("serves the monitor API and an accessible status page", async () => {
    const list = await json("/api/monitors");
    expect((list.body.monitors as Array<{ id: string }>).map((m) => m.id)).toEqual(["site-up", "site-down", "stuck", "broken", "cron-job"]);
    const one = await json("/api/monitors/site-down");
    expect((one.body.recentResults as unknown[]).length).toBeGreaterThan(0);
    expect((await json("/api/monitors/nope")).status).toBe(404);
    // The team's overview needs the token (a browser signs in at /login).
    expect((await fetch(`${url}/`, { redirect: "manual" })).status).toBe(303);
    const res = await fetch(`${url}/`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const html = await res.text();
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(html).toContain('<html lang="en">');
    expect(html).toContain("<title>Example status: monitors</title>");
    expect(html).toContain('<a class="name" href="/monitors/site-down">Checkout API</a> <span class="badge s-firing" data-monitor-state="site-down">Firing</span>');
    expect(html).toContain('<a class="name" href="/monitors/site-up">Public site</a> <span class="badge s-ok" data-monitor-state="site-up">OK</span>');
    // Scripts only from the runtime's own /assets (the CSP allows nothing else).
    expect(html).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/)/);
  });
});
