import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorCode } from "../../sdk/index.js";
import type { MonitorSpec } from "../../sdk/manifest/index.js";
import { evaluate, newAlert, rulesOf, type NotificationIntent } from "../../runtime/alerts/index.js";
import { runCheck } from "../../runtime/checks/index.js";
import { InMemoryInboundEvents } from "../../runtime/checks/inbound-memory.js";
import { observe } from "../../runtime/evaluate/observe.js";
import { inhibitStage } from "../../runtime/notify/stages/inhibit-stage.js";
import { routeStage } from "../../runtime/notify/stages/route-stage.js";
import type { Notification } from "../../runtime/notify/types.js";
import { checkContext } from "../support/check-context.js";
import { waitUntil } from "../support/process.js";
import { startPrometheus, type PrometheusServer } from "../support/prometheus.js";
import { loadRepoProject, type LoadedProject } from "./project.js";

// The repository's own monitors run against real parts on loopback: the failed-workflow poll
// against an HTTP server, the checkout PromQL monitors against a real Prometheus, and the
// website's routing through the runtime's real route and inhibit stages. Only the target's
// address is swapped for the loopback one; everything else is the monitor as compiled.

let project: LoadedProject;
beforeAll(async () => {
  project = await loadRepoProject();
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

describe("scenario 1: the failed-workflow poll against a workflow API", () => {
  const CANARY = "Bearer canary-4f6c2a9e81";
  const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
  let failedRuns = 0;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body: await bodyOf(req) });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ total: failedRuns, runs: [] }));
    });
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  async function tick(now: Date) {
    const compiled = project.monitor("workflow-failed-runs");
    if (compiled.check.kind !== "httpWindow") throw new Error("expected an httpWindow check");
    const spec: MonitorSpec = { ...compiled, check: { ...compiled.check, url: compiled.check.url.replace("https://workflows.example.com", base) } };
    const code = monitorCode(project.construct("workflow-failed-runs"));
    const ctx = checkContext({ now, monitorId: spec.id, code, secrets: { WORKFLOW_API_TOKEN: CANARY } });
    const outcome = await runCheck(spec, ctx);
    return { outcome, verdict: observe(outcome, spec, code, []) };
  }

  it("asks for FAILED runs between tick-10m and tick, with the token from the secret", async () => {
    failedRuns = 0;
    seen.length = 0;
    await tick(new Date("2026-03-02T10:01:00Z"));
    expect(seen).toHaveLength(1);
    const request = seen[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/api/v1/runs/search");
    expect(request.authorization).toBe(CANARY);
    const body = JSON.parse(request.body) as { status: string; startedAfter: string; startedBefore: string };
    expect(body.status).toBe("FAILED");
    expect(Date.parse(body.startedAfter)).toBe(Date.parse("2026-03-02T09:51:00Z"));
    expect(Date.parse(body.startedBefore)).toBe(Date.parse("2026-03-02T10:01:00Z"));
  });

  it("fires when the count is above zero and stays quiet at zero, never showing the token", async () => {
    failedRuns = 3;
    const firing = await tick(new Date("2026-03-02T10:02:00Z"));
    expect(firing.verdict).toHaveLength(1);
    expect(firing.verdict[0]!.firing).toBe(true);
    expect(firing.verdict[0]!.observation).toMatchObject({ kind: "failing", value: 3, summary: "3 workflow run(s) FAILED in the last 10 minutes" });
    expect(JSON.stringify(firing)).not.toContain("canary-4f6c2a9e81");

    failedRuns = 0;
    const quiet = await tick(new Date("2026-03-02T10:03:00Z"));
    expect(quiet.verdict[0]!.firing).toBe(false);
  });
});

describe("scenario 3: checkout PromQL monitors against a real Prometheus", () => {
  let exporter: Server;
  let prometheus: PrometheusServer | undefined;

  // rate(...[5m]) needs five minutes of samples to read the true rate. The exporter stamps its
  // samples with a clock that starts six minutes ago and advances 30 s per scrape until it meets
  // the real time, so Prometheus holds a full window after a dozen scrapes.
  const virtualStart = Date.now() - 6 * 60_000;
  let virtualNow = virtualStart;
  // Counters grow at fixed rates: 500s at 2/s (over the 0.05/s limit), 503s at 0.01/s (under it);
  // pod checkout-1 burns 0.95 CPU of a 1-CPU limit, checkout-2 only 0.2.
  const exposition = (): string => {
    virtualNow = Math.min(Date.now(), virtualNow + 30_000);
    const t = (virtualNow - virtualStart) / 1000;
    const at = ` ${virtualNow}`;
    return [
      "# TYPE http_requests_total counter",
      `http_requests_total{status="200"} ${10 * t}${at}`,
      `http_requests_total{status="500"} ${2 * t}${at}`,
      `http_requests_total{status="503"} ${0.01 * t}${at}`,
      "# TYPE container_cpu_usage_seconds_total counter",
      `container_cpu_usage_seconds_total{namespace="checkout",container="app",pod="checkout-1"} ${0.95 * t}${at}`,
      `container_cpu_usage_seconds_total{namespace="checkout",container="app",pod="checkout-2"} ${0.2 * t}${at}`,
      "# TYPE kube_pod_container_resource_limits gauge",
      `kube_pod_container_resource_limits{namespace="checkout",pod="checkout-1",resource="cpu"} 1${at}`,
      `kube_pod_container_resource_limits{namespace="checkout",pod="checkout-2",resource="cpu"} 1${at}`,
      "",
    ].join("\n");
  };

  beforeAll(async () => {
    exporter = createServer((_req, res) => {
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(exposition());
    });
    const target = (await listen(exporter)).replace("http://", "");
    prometheus = await startPrometheus({ targets: [target], scrapeInterval: "1s" });
    await waitUntil(async () => virtualNow >= Date.now() - 2_000, "the exporter's clock to reach real time", 40_000, 250);
    await prometheus.waitForSeries('rate(http_requests_total{status="500"}[5m]) > 1.9', 1, 20_000);
    await prometheus.waitForSeries('rate(container_cpu_usage_seconds_total{namespace="checkout"}[5m]) > 0.1', 2, 20_000);
  }, 90_000);
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((done) => exporter.close(() => done()));
  });

  async function evaluateNow(id: string) {
    const compiled = project.monitor(id);
    if (compiled.check.kind !== "prometheus") throw new Error("expected a prometheus check");
    const spec: MonitorSpec = { ...compiled, check: { ...compiled.check, server: prometheus!.url } };
    const code = monitorCode(project.construct(id));
    const outcome = await runCheck(spec, checkContext({ now: new Date(), monitorId: id, code }));
    if (outcome.kind === "error") throw new Error(outcome.error);
    return { spec, verdicts: observe(outcome, spec, code, []) };
  }

  it("the 5xx-rate monitor alerts once per breaching series, labels carried, summary from its function", async () => {
    const { verdicts } = await evaluateNow("checkout-error-rate");
    expect(verdicts).toHaveLength(1);
    const [only] = verdicts;
    expect(only!.labels).toMatchObject({ status: "500", job: "exporter" });
    expect(only!.firing).toBe(true);
    expect(only!.result.value).toBeGreaterThan(1.5);
    if (only!.observation.kind !== "failing") throw new Error("expected failing");
    expect(only!.observation.summary).toMatch(/^Checkout 5xx rate on 127\.0\.0\.1:\d+: \d\.\d{3} 500 responses\/s \(limit 0\.05\/s\)$/);
  });

  it("the 5xx-rate monitor pages only after the rate has held for 5 minutes", async () => {
    const { spec, verdicts } = await evaluateNow("checkout-error-rate");
    const observation = verdicts[0]!.observation;
    const rules = rulesOf(spec);
    const t0 = Date.parse("2026-03-02T10:00:00Z");
    let step = evaluate(newAlert(spec.id, verdicts[0]!.labels, "dedup", t0), observation, t0, rules);
    expect(step.alert.state).toBe("pending");
    for (let t = t0 + 30_000; t < t0 + 300_000; t += 30_000) {
      step = evaluate(step.alert, observation, t, rules);
      expect(step.intents).toEqual([]);
    }
    step = evaluate(step.alert, observation, t0 + 300_000, rules);
    expect(step.alert.state).toBe("firing");
    expect(step.intents.map((i) => [i.type, i.severity])).toEqual([["trigger", "critical"]]);
  });

  it("the CPU monitor judges every pod by the threshold: only the one over 90 % of its limit fires", async () => {
    const { verdicts } = await evaluateNow("checkout-cpu-saturation");
    const byPod = Object.fromEntries(verdicts.map((v) => [v.labels["pod"], v.firing]));
    expect(byPod).toEqual({ "checkout-1": true, "checkout-2": false });
  });
});

describe("scenario 2: website alerts through the runtime's route and inhibit stages", () => {
  const logger = pino({ level: "silent" });
  const dropped: string[] = [];
  const ctx = { now: Date.parse("2026-03-02T10:00:00Z"), logger, drop: (n: Notification, reason: string) => dropped.push(`${n.intent.monitorId}: ${reason}`) };

  const intent = (monitorId: string, type: NotificationIntent["type"], details: Record<string, unknown> = {}): Notification => ({
    intent: { id: `${monitorId}:${type}`, type, monitorId, dedupKey: `k-${monitorId}`, labels: {}, severity: "error", summary: "s", value: null, details, at: ctx.now, firedAt: ctx.now },
    destination: { id: "unrouted", kind: "unrouted" },
    notBefore: ctx.now,
    deliveryId: null,
    attempts: 0,
    firstDueAt: ctx.now,
    outcome: null,
  });

  it("an emergency press opens the REST incident and tells the customer; so does the acknowledgement", async () => {
    const route = routeStage(project.manifest);
    const press = await route(ctx, [intent("website-emergency", "trigger", { emergency: true, message: "checkout page blank" })]);
    expect(press.map((n) => n.destination.id).sort()).toEqual(["channel:customer-email", "channel:emergency-incident"]);
    const ack = await route(ctx, [intent("website-emergency", "acknowledge")]);
    expect(ack.map((n) => n.destination.id)).toContain("channel:customer-email");
  });

  it("an endpoint alert pages the website service, and is muted while site-down fires", async () => {
    const routed = await routeStage(project.manifest)(ctx, [intent("website-home", "trigger")]);
    expect(routed.map((n) => n.destination.id)).toEqual(["service:website"]);
    const inhibit = inhibitStage(project.manifest, { isMonitorFiring: (id) => id === "website-site-down" });
    dropped.length = 0;
    expect(await inhibit(ctx, routed)).toEqual([]);
    expect(dropped).toEqual(["website-home: inhibited while website-site-down fires"]);
    // Resolves still pass, so an endpoint page sent before the outage closes.
    expect(await inhibit(ctx, [intent("website-home", "resolve")])).toHaveLength(1);
  });

  it("the uptime service's down report and the emergency press make their monitors fail", async () => {
    const inbound = new InMemoryInboundEvents();
    const now = new Date("2026-03-02T10:00:30Z");
    inbound.recordUptimeReport("website-uptime-service", { up: false, message: "www.example.com is down from 3 regions", at: now.getTime() - 10_000 });
    inbound.recordEmergency("website-emergency", now.getTime() - 5_000, "checkout page blank");
    for (const id of ["website-uptime-service", "website-emergency"]) {
      const spec = project.monitor(id);
      const outcome = await runCheck(spec, checkContext({ now, monitorId: id, inbound }));
      expect(observe(outcome, spec, undefined, [])[0]!.firing, id).toBe(true);
    }
  });
});
