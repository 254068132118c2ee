import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { runCheck } from "../../runtime/checks/index.js";
import { runPrometheusCheck } from "../../runtime/checks/prometheus/prometheus-check.js";
import { monitorUnit, runTick, type TickDeps } from "../../runtime/evaluate/tick.js";
import { createMetrics } from "../../runtime/metrics.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import type { MonitorSpec, Threshold } from "../../sdk/manifest/schema.js";
import { thresholdHolds } from "../../sdk/threshold.js";
import { checkContext } from "../support/check-context.js";
import { startPrometheus, type PrometheusServer } from "../support/prometheus.js";
import { FakeClock } from "../runtime/support/fake-clock.js";
import { monitorSpec } from "../runtime/support/manifest.js";

/**
 * The same series go to a real Prometheus alerting rule and to a Watchkeeper monitor; the alerts
 * must agree. NaN and ±Inf samples, series that differ only in `__name__`, and rule labels are
 * where the two used to disagree.
 */
const EXPOSITION = [
  "# TYPE temp gauge",
  'temp{sensor="nan"} NaN',
  'temp{sensor="pinf"} +Inf',
  'temp{sensor="ninf"} -Inf',
  'temp{sensor="hot"} 9',
  'temp{sensor="cold"} 1',
  "# TYPE twin_a gauge",
  'twin_a{x="1"} 1',
  "# TYPE twin_b gauge",
  'twin_b{x="1"} 2',
  "# TYPE pair gauge",
  'pair{x="1",team="a"} 1',
  'pair{x="1",team="b"} 1',
  "",
].join("\n");

const TEAM_LABELS = { team: "ops", job: "thermal" };

// `job` in the rule's labels overrides the scrape job's: a rule's labels win, and a monitor's must too.
const RULES = `groups:
  - name: parity
    interval: 1s
    rules:
      - alert: TempHigh
        expr: temp > 5
        labels: { team: ops, job: thermal }
      - alert: Twins
        expr: '{__name__=~"twin_.+"}'
      - alert: Pair
        expr: pair
        labels: { team: ops }
`;

let exporter: Server;
let prometheus: PrometheusServer;
let dir: string;

beforeAll(async () => {
  exporter = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(EXPOSITION));
  await new Promise<void>((r) => exporter.listen(0, "127.0.0.1", r));
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`], rules: RULES });
  await prometheus.waitForSeries("temp", 5);
  await prometheus.waitForSeries('ALERTS{alertname="TempHigh",alertstate="firing"}', 1);
  dir = await mkdtemp(join(tmpdir(), "wk-promql-parity-"));
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((r) => exporter?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function promMonitor(id: string, query: string, over: Partial<MonitorSpec> = {}): MonitorSpec {
  return monitorSpec({ id, check: { kind: "prometheus", server: prometheus.url, query, headers: {}, timeout: "5s" }, ...over });
}

function openStore(name: string): SqliteStore {
  return SqliteStore.open(join(dir, name));
}

/** A runtime's tick path with a real store and the real check runner, at the current time. */
function tickDeps(store: SqliteStore): TickDeps {
  const metrics = createMetrics({ alertStates: () => ({}), outboxDepth: () => 0, declaredSecrets: [], missingSecrets: () => [] });
  return {
    store,
    runCheck,
    clock: new FakeClock(Date.now()),
    logger: pino({ level: "silent" }),
    metrics,
    context: { startedAt: new Date(), signal: new AbortController().signal, secret: () => undefined, inbound: store },
  };
}

const withoutNames = (metric: Record<string, string>, names: string[]) =>
  Object.fromEntries(Object.entries(metric).filter(([k]) => !names.includes(k)));
const sorted = (sets: Array<Record<string, string>>) => sets.map((s) => JSON.stringify(Object.entries(s).sort())).sort();

async function ruleHealth(name: string): Promise<{ health: string; lastError?: string }> {
  const res = await fetch(`${prometheus.url}/api/v1/rules`);
  const body = (await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
  const rule = body.data.groups.flatMap((g) => g.rules).find((r) => r.name === name);
  if (!rule) throw new Error(`Prometheus has no rule ${name}`);
  return rule;
}

async function waitForRuleHealth(name: string): Promise<{ health: string; lastError?: string }> {
  for (let i = 0; i < 100; i++) {
    const rule = await ruleHealth(name);
    if (rule.health !== "unknown") return rule;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`rule ${name} was never evaluated`);
}

describe("PromQL monitors alert exactly as a Prometheus alerting rule over the same series", () => {
  it("a threshold compares NaN and ±Inf as PromQL does, for every operator", async () => {
    const samples = await runPrometheusCheck(promMonitor("temps", "temp").check as never, checkContext({ now: new Date() }));
    expect(samples.map((s) => [s.labels.sensor, s.value]).sort()).toEqual(
      [["cold", 1], ["hot", 9], ["nan", NaN], ["ninf", -Infinity], ["pinf", Infinity]].sort(),
    );
    for (const op of [">", ">=", "<", "<=", "==", "!="] as const) {
      for (const value of [5, 9]) {
        const threshold: Threshold = { op, value };
        const promql = (await prometheus.query(`temp ${op} ${value}`)) as Array<{ metric: Record<string, string> }>;
        const theirs = promql.map((s) => s.metric.sensor).sort();
        const ours = samples.filter((s) => thresholdHolds(s.value!, threshold)).map((s) => s.labels.sensor).sort();
        expect({ op, value, sensors: ours }).toEqual({ op, value, sensors: theirs });
      }
    }
  });

  it("a NaN or -Inf sample does not fire a threshold monitor, +Inf does, and the fired label sets equal Prometheus's ALERTS", async () => {
    const store = openStore("thresholds");
    try {
      const monitor = promMonitor("temp-high", "temp", { threshold: { op: ">", value: 5 }, labels: TEAM_LABELS });
      const intents = await runTick(monitorUnit(monitor, undefined, null), Date.now(), tickDeps(store));
      const ours = intents.filter((i) => i.type === "trigger").map((i) => i.labels);
      const alerts = (await prometheus.query('ALERTS{alertname="TempHigh",alertstate="firing"}')) as Array<{ metric: Record<string, string> }>;
      const theirs = alerts.map((a) => withoutNames(a.metric, ["__name__", "alertname", "alertstate"]));
      expect(theirs.map((l) => l.sensor).sort()).toEqual(["hot", "pinf"]);
      expect(sorted(ours)).toEqual(sorted(theirs));
      for (const labels of ours) expect(labels).toMatchObject({ team: "ops", job: "thermal" });
    } finally {
      store.close();
    }
  });

  it("keeps each alert's dedup key on the series labels, so adding monitor labels never re-pages an open alert", async () => {
    const store = openStore("upgrade");
    try {
      const before = promMonitor("temp-keys", 'temp{sensor="hot"}', { threshold: { op: ">", value: 5 } });
      const [trigger] = await runTick(monitorUnit(before, undefined, null), Date.now(), tickDeps(store));
      expect(trigger).toMatchObject({ type: "trigger", labels: { sensor: "hot", job: "exporter" } });
      const series = trigger!.labels;
      expect(trigger!.dedupKey).toBe(alertKey("temp-keys", series));

      // The next release gives the monitor labels: the open alert is the same alert, with no new page.
      const after = { ...before, labels: TEAM_LABELS, threshold: { op: "<", value: 5 } as Threshold };
      const intents = await runTick(monitorUnit(after, undefined, null), Date.now() + 1000, tickDeps(store));
      expect(intents.map((i) => [i.type, i.dedupKey])).toEqual([["resolve", trigger!.dedupKey]]);
      expect(intents[0]!.labels).toEqual({ ...series, ...TEAM_LABELS });
      expect(store.alertsOf("temp-keys")).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it("refuses an evaluation whose series differ only in __name__, as Prometheus does, naming the label set", async () => {
    const rule = await waitForRuleHealth("Twins");
    expect(rule.health).toBe("err");
    expect(rule.lastError).toMatch(/vector contains metrics with the same labelset after applying alert labels/);

    const store = openStore("twins");
    try {
      const monitor = promMonitor("twins", '{__name__=~"twin_.+"}', { onError: "unknown" });
      const intents = await runTick(monitorUnit(monitor, undefined, null), Date.now(), tickDeps(store));
      expect(intents).toEqual([]);
      expect(store.alertsOf("twins")).toEqual([]);
      const latest = store.latestResults().get("twins")!;
      expect(latest.error).toMatch(/^vector contains metrics with the same labelset after applying alert labels: \{instance="127\.0\.0\.1:\d+", job="exporter", x="1"\}$/);
    } finally {
      store.close();
    }
  });

  it("checks for duplicate label sets after applying the monitor's labels, as Prometheus applies the rule's", async () => {
    const rule = await waitForRuleHealth("Pair");
    expect(rule.health).toBe("err");
    expect(rule.lastError).toMatch(/same labelset after applying alert labels/);

    const store = openStore("pair");
    try {
      const deps = tickDeps(store);
      const plain = await runTick(monitorUnit(promMonitor("pair-plain", "pair"), undefined, null), Date.now(), deps);
      expect(plain.map((i) => i.labels.team).sort()).toEqual(["a", "b"]);
      const labelled = promMonitor("pair-ops", "pair", { labels: { team: "ops" }, onError: "unknown" });
      expect(await runTick(monitorUnit(labelled, undefined, null), Date.now(), deps)).toEqual([]);
      expect(store.latestResults().get("pair-ops")!.error).toMatch(/same labelset after applying alert labels: \{.*team="ops", x="1"\}/);
    } finally {
      store.close();
    }
  });
});
