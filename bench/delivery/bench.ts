/**
 * Delivery benchmark: time from a failing check's completion to the PagerDuty recording server's
 * receipt of the trigger, over N alerts (default 1,000), no group wait. Runs the real runtime
 * (scheduler tick, alert state machine, SQLite outbox) with the real delivery pipeline in one
 * process; the check is a script that fails at once, so the number measures everything after it.
 * Env: WK_BENCH_ALERTS (1000), WK_BENCH_SERVICES (10), WK_BENCH_GAP_MS (5), WK_BENCH_OUT.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createRuntime } from "../../runtime/app.js";
import type { CheckOutcome } from "../../runtime/checks/types.js";
import { createDelivery } from "../../runtime/notify/index.js";
import { sealManifest, type MonitorSpec, type ServiceSpec } from "../../sdk/manifest/index.js";
import { PagerDutyServer } from "../../test/support/vendors/index.js";

const ALERTS = Number(process.env["WK_BENCH_ALERTS"] ?? 1000);
const SERVICES = Number(process.env["WK_BENCH_SERVICES"] ?? 10);
const GAP_MS = Number(process.env["WK_BENCH_GAP_MS"] ?? 5);
const OUT = process.env["WK_BENCH_OUT"] ?? "bench/results/delivery.md";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function monitor(i: number): MonitorSpec {
  const id = `bench-${String(i).padStart(4, "0")}`;
  return {
    id, name: id, description: null, owner: null,
    // Hourly: the scheduler stays out of the way; the bench ticks monitors itself.
    schedule: { kind: "every", every: "1h" },
    check: { kind: "script", timeout: "5s" },
    threshold: null, for: "0s", keepFiringFor: "0s", failureThreshold: 1, successThreshold: 1, repeatEvery: null,
    onError: "fail", severity: "critical", service: `svc-${i % SERVICES}`, channels: [], ackChannels: [], inhibits: [],
    labels: {}, summary: `${id} failing`, runbook: null, diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false }, codeHash: "none", source: "bench",
  };
}

function service(i: number): ServiceSpec {
  return {
    id: `svc-${i}`, name: `svc-${i}`, description: null, escalationPolicy: "p", team: null, urgency: "high",
    autoResolveTimeout: null, acknowledgementTimeout: null, alertGrouping: null, routingKey: { secret: `KEY_${i}` }, source: "bench",
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const dir = await mkdtemp(join(tmpdir(), "wk-bench-delivery-"));
const pd = new PagerDutyServer({ eventsPerMinute: 100_000 });
await pd.start();
const keys = Object.fromEntries(Array.from({ length: SERVICES }, (_, i) => [`KEY_${i}`, `bench${String(i).padStart(3, "0")}`.padEnd(32, "k")]));
const monitors = Array.from({ length: ALERTS }, (_, i) => monitor(i));
const manifest = sealManifest({
  apiVersion: "watchkeeper.dev/v1", kind: "Manifest", project: { name: "bench" },
  monitors, services: Array.from({ length: SERVICES }, (_, i) => service(i)),
  escalationPolicies: [], schedules: [], teams: [], users: [], channels: [], silences: [],
  secrets: Object.keys(keys), settings: { statusPage: { title: "bench" }, publicUrl: null },
});

const failing = new Set<string>();
const completedAt = new Map<string, number>();
const runtime = await createRuntime({
  manifest,
  bundle: {},
  stateDir: join(dir, "state"),
  logger: pino({ level: "warn" }),
  secrets: { get: (n) => keys[n], missing: () => [] },
  delivery: (deps) => createDelivery(deps, { settings: { pagerDutyEventsUrl: pd.url } }),
  runCheck: async (m): Promise<CheckOutcome> => {
    const ok = !failing.has(m.id);
    const outcome: CheckOutcome = { kind: "results", results: [{ ok, value: ok ? 200 : 503, message: ok ? "ok" : "HTTP 503", labels: {}, details: {}, durationMs: 1 }] };
    if (!ok) completedAt.set(m.id, Date.now());
    return outcome;
  },
  port: 0,
  host: "127.0.0.1",
  spreadMs: 0,
});
await runtime.start();
await sleep(500);

const started = Date.now();
for (const m of monitors) {
  failing.add(m.id);
  void runtime.tickNow(m.id);
  await sleep(GAP_MS);
}
const deadline = Date.now() + 60_000;
while (pd.events().length < ALERTS && Date.now() < deadline) await sleep(20);
const elapsed = Date.now() - started;

const receivedAt = new Map<string, number>();
for (const r of pd.accepted()) {
  const key = (r.json as { dedup_key: string }).dedup_key;
  if (!receivedAt.has(key)) receivedAt.set(key, r.at);
}
const latencies = monitors
  .map((m) => {
    const done = completedAt.get(m.id);
    const got = receivedAt.get(`wk-${m.id}`);
    return done !== undefined && got !== undefined ? got - done : null;
  })
  .filter((v): v is number => v !== null)
  .sort((a, b) => a - b);
await runtime.stop();
await pd.stop();
await rm(dir, { recursive: true, force: true });

const p50 = quantile(latencies, 0.5);
const p99 = quantile(latencies, 0.99);
const max = latencies.at(-1) ?? NaN;
const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
const lines = [
  "# Delivery benchmark",
  "",
  "Time from a failing check's completion to the PagerDuty recording server's receipt of the trigger",
  "(`npm run bench:delivery`). One process: the runtime's scheduler tick, alert state machine and",
  "SQLite outbox, the delivery pipeline (dispatcher polling every 10 ms, route/silence/inhibit/group,",
  "dedup/retry/record), undici to a loopback PagerDuty Events v2 recording server. No group wait.",
  "",
  `- Alerts: ${ALERTS} (one per monitor), over ${SERVICES} routing keys, one failing check every ${GAP_MS} ms`,
  `- Delivered: ${latencies.length} of ${ALERTS} in ${(elapsed / 1000).toFixed(1)} s`,
  `- p50: ${p50} ms`,
  `- p99: ${p99} ms (target <= 100 ms)`,
  `- max: ${max} ms, mean: ${mean.toFixed(1)} ms`,
  "",
  `Machine: ${process.platform} ${process.arch}, Node ${process.version}, 2 CPU cores shared with other work (load average ${loadavg()[0]!.toFixed(1)} at the end). Run on ${new Date().toISOString().slice(0, 10)}.`,
  "",
];
await writeFile(OUT, lines.join("\n"));
process.stdout.write(lines.join("\n"));
if (latencies.length < ALERTS) process.exitCode = 1;
