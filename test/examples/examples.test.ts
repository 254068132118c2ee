import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { collectConstructs, isConstruct, monitorCode, synthesize, type ProjectConfig } from "../../sdk/index.js";
import { parseManifest, sealManifest, type Manifest, type MonitorSpec } from "../../sdk/manifest/index.js";
import { CronSchedule } from "../../runtime/scheduler/cron.js";
import { loadRepoProject, ROOT, sourceOf, type LoadedProject } from "./project.js";

// This repository's own monitors and policies, loaded the way a project is: every module under
// monitors/ and policies/ plus watchkeeper.config.ts, synthesized, sealed and read back.
let project: LoadedProject;
let manifest: Manifest;

beforeAll(async () => {
  project = await loadRepoProject();
  manifest = project.manifest;
});

const monitorById = (id: string): MonitorSpec => project.monitor(id);
const channelKinds = (m: MonitorSpec): string[] => m.channels.map((id) => manifest.channels.find((c) => c.id === id)!.kind);

/** Wall-clock parts of an instant in a time zone. */
function zoned(iso: string, timeZone: string): { weekday: string; time: string } {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return { weekday: get("weekday"), time: `${get("hour")}:${get("minute")}` };
}

describe("the project itself", () => {
  it("is named by its config and every module exports only constructs", () => {
    expect(project.config.name).toBe("watchkeeper-self");
    expect(project.config.defaults?.timezone).toBe("Europe/Berlin");
    for (const [file, mod] of project.exportsByFile) {
      for (const [name, value] of Object.entries(mod)) expect(isConstruct(value), `${file} export ${name}`).toBe(true);
    }
  });

  it("synthesizes a manifest the schema accepts, deterministically, with every construct's source file", () => {
    expect(manifest.project.name).toBe("watchkeeper-self");
    const again = sealManifest(synthesize({ config: project.config, constructs: project.constructs, sourceOf }));
    expect(again.hash).toBe(manifest.hash);
    for (const m of manifest.monitors) expect(m.source).toMatch(/^monitors\/[\w/-]+\.ts:\d+$/);
    expect(manifest.services.map((s) => s.source).every((s) => s.startsWith("policies/services.ts:"))).toBe(true);
  });

  it("declares exactly the secrets it references, and carries them only as names", () => {
    const referenced = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === "object") {
        if ("secret" in value) {
          expect(Object.keys(value)).toEqual(["secret"]);
          referenced.add((value as { secret: string }).secret);
        } else Object.values(value).forEach(walk);
      }
    };
    walk({ ...manifest, secrets: [] });
    expect([...referenced].sort()).toEqual(manifest.secrets);
    expect(manifest.secrets).toEqual([...(project.config.secrets ?? [])].sort());
  });

  it("routes every critical monitor to PagerDuty, through its service or an incident channel", () => {
    for (const m of manifest.monitors.filter((x) => x.severity === "critical")) {
      expect(m.service !== null || channelKinds(m).includes("pagerdutyIncident"), m.id).toBe(true);
    }
  });

  it("parses every cron schedule the way the runtime scheduler will", () => {
    for (const m of manifest.monitors) {
      if (m.schedule.kind !== "cron") continue;
      const cron = new CronSchedule(m.schedule.expression, m.schedule.timezone);
      expect(cron.nextAfter(Date.parse("2026-03-02T10:00:30Z")), m.id).not.toBeNull();
    }
  });
});

describe("scenario 1: failed-workflow poll", () => {
  it("runs at second 0 of every minute (Quartz style) in the project's time zone", () => {
    const m = monitorById("workflow-failed-runs");
    expect(m.schedule).toEqual({ kind: "cron", expression: "0 * * ? * *", timezone: "Europe/Berlin" });
    const cron = new CronSchedule("0 * * ? * *", "Europe/Berlin");
    const first = cron.nextAfter(Date.parse("2026-03-02T10:00:30Z"))!;
    expect(new Date(first).toISOString()).toBe("2026-03-02T10:01:00.000Z");
    expect(cron.nextAfter(first)! - first).toBe(60_000);
  });

  it("searches FAILED runs over a sliding 10-minute window with the token from a secret", () => {
    const m = monitorById("workflow-failed-runs");
    if (m.check.kind !== "httpWindow") throw new Error("expected an httpWindow check");
    expect(m.check.window).toBe("10m");
    expect(m.check.method).toBe("POST");
    expect(m.check.headers["authorization"]).toEqual({ secret: "WORKFLOW_API_TOKEN" });
    const body = JSON.parse(m.check.body!) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "FAILED", startedAfter: "{{from}}", startedBefore: "{{to}}" });
    expect(m.check.extract).toBe("total");
    expect(m.threshold).toEqual({ op: ">", value: 0 });
  });

  it("pages the workflow engine service and also tells Slack and OpsGenie", () => {
    const m = monitorById("workflow-failed-runs");
    expect(m.service).toBe("workflow-engine");
    expect(m.channels).toEqual(["oncall-slack", "platform-opsgenie"]);
    expect(channelKinds(m)).toEqual(["slack", "opsgenie"]);
    expect(manifest.services.find((s) => s.id === "workflow-engine")!.routingKey).toEqual({ secret: "PAGERDUTY_ROUTING_WORKFLOWS" });
  });
});

describe("scenario 2: website emergency flow", () => {
  const endpoints = ["website-home", "website-login", "website-api-health"];

  it("checks each endpoint's status, latency and TLS expiry, with diagnostics attached", () => {
    for (const id of endpoints) {
      const m = monitorById(id);
      if (m.check.kind !== "http") throw new Error(`${id}: expected an http check`);
      expect(m.check.expect.status).toEqual([200]);
      expect(m.check.expect.maxLatency).not.toBeNull();
      expect(m.check.expect.tlsExpiryWithin).toBe("14d");
      expect(m.service).toBe("website");
      expect(m.diagnostics.map((d) => d.kind)).toEqual(["dns", "httpSweep", "hostLoad"]);
    }
    const sweep = monitorById("website-home").diagnostics.find((d) => d.kind === "httpSweep");
    expect(sweep).toMatchObject({ urls: ["https://www.example.com/", "https://www.example.com/login", "https://api.example.com/health"] });
    expect(monitorById("website-home").diagnostics[2]).toEqual({ kind: "hostLoad", loadavgFile: "/proc/loadavg", meminfoFile: "/proc/meminfo" });
  });

  it("has a critical site-down monitor that inhibits the endpoint monitors", () => {
    const m = monitorById("website-site-down");
    expect(m.severity).toBe("critical");
    expect(m.inhibits).toEqual(endpoints);
    expect(m.check.kind).toBe("script");
    expect(m.code.run).toBe(true);
    expect(m.repeatEvery).toBe("30m");
    // It must fire before the endpoint monitors it mutes: same failure count, no extra hold.
    for (const id of endpoints) expect(monitorById(id).for).toBe("1m");
    expect(m.for).toBe("0s");
  });

  it("asks both nameservers directly", () => {
    const m = monitorById("website-dns-nameservers");
    if (m.check.kind !== "dns") throw new Error("expected a dns check");
    expect(m.check.nameservers).toHaveLength(2);
    expect(m.check.expectValues).toEqual(["ns1.example.net", "ns2.example.net"]);
  });

  it("takes in the uptime service's webhook with a token secret", () => {
    const m = monitorById("website-uptime-service");
    expect(m.check).toEqual({ kind: "webhook", format: "nodeping", token: { secret: "UPTIME_WEBHOOK_TOKEN" } });
    expect(m.service).toBe("website");
  });

  it("opens a PagerDuty incident from the emergency button and emails the customer on acknowledgement", () => {
    const m = monitorById("website-emergency");
    expect(m.check).toMatchObject({ kind: "manual", password: { secret: "EMERGENCY_PASSWORD" } });
    expect(channelKinds(m)).toEqual(["pagerdutyIncident", "email"]);
    expect(m.ackChannels).toEqual(["customer-email"]);
    expect(m.service).toBeNull();
    const incident = manifest.channels.find((c) => c.id === "emergency-incident");
    expect(incident).toMatchObject({ service: "website", urgency: "high", token: { secret: "PAGERDUTY_API_TOKEN" } });
    const email = manifest.channels.find((c) => c.id === "customer-email");
    expect(email).toMatchObject({ kind: "email", to: ["it-operations@northwind.example.com"], smtp: { password: { secret: "SMTP_PASSWORD" } } });
  });

  it("puts the web schedule's business hours on top of a 24/7 fallback layer", () => {
    const s = manifest.schedules.find((x) => x.id === "web-business-hours")!;
    expect(s.layers[0]!.restrictions).toEqual([]);
    expect(s.layers[1]!.restrictions.map((r) => r.startDayOfWeek)).toEqual([1, 2, 3, 4, 5]);
    expect(s.layers[1]!.restrictions.every((r) => r.startTimeOfDay === "09:00:00" && r.duration === "9h")).toBe(true);
  });
});

describe("scenario 3: microservice alerting", () => {
  it("pages critical on a 5xx rate above 0.05/s held for 5 minutes", () => {
    const m = monitorById("checkout-error-rate");
    expect(m.check).toMatchObject({ kind: "prometheus", server: "http://prometheus.monitoring:9090", query: 'rate(http_requests_total{status=~"5.."}[5m]) > 0.05' });
    expect(m.for).toBe("5m");
    expect(m.severity).toBe("critical");
    expect(m.service).toBe("checkout-payments");
  });

  it("warns on p99 latency and on CPU and memory saturation, through the same service", () => {
    for (const id of ["checkout-latency-p99", "checkout-cpu-saturation", "checkout-memory-saturation"]) {
      const m = monitorById(id);
      expect(m.severity, id).toBe("warning");
      expect(m.service, id).toBe("checkout-payments");
      expect(m.check.kind, id).toBe("prometheus");
    }
    expect(monitorById("checkout-latency-p99").check).toMatchObject({ query: expect.stringContaining("histogram_quantile(0.99") });
    expect(monitorById("checkout-cpu-saturation").threshold).toEqual({ op: ">", value: 0.9 });
  });

  it("escalates from the weekly rotation to the manager after 15 minutes, looping twice", () => {
    const service = manifest.services.find((s) => s.id === "checkout-payments")!;
    expect(service.urgency).toBe("severity_based");
    const policy = manifest.escalationPolicies.find((p) => p.id === service.escalationPolicy)!;
    expect(policy.loops).toBe(2);
    expect(policy.rules[0]).toEqual({ escalationDelay: "15m", targets: [{ type: "schedule", id: "checkout-weekly" }] });
    expect(policy.rules[1]!.targets).toEqual([{ type: "user", id: "helena-fischer" }]);
    const team = manifest.teams.find((t) => t.id === "payments")!;
    expect(team.members).toContainEqual({ user: "helena-fischer", role: "manager" });
  });

  it("hands the weekly rotation over on Mondays at 09:00 Berlin time", () => {
    const s = manifest.schedules.find((x) => x.id === "checkout-weekly")!;
    expect(s.timeZone).toBe("Europe/Berlin");
    const layer = s.layers[0]!;
    expect(layer.rotationTurnLength).toBe("1w");
    expect(layer.restrictions).toEqual([]);
    expect(zoned(layer.rotationVirtualStart, s.timeZone)).toEqual({ weekday: "Monday", time: "09:00" });
    expect(layer.users).toEqual(["amara-okafor", "jonas-weber", "priya-raman"]);
  });

  it("carries code: the latency condition ignores NaN and the error-rate summary names the instance", () => {
    const byId = (id: string) => project.construct(id);
    const latency = monitorCode(byId("checkout-latency-p99"));
    const result = (value: number | null) => ({ ok: true, value, message: "", labels: {}, details: {}, durationMs: 1 });
    expect(latency.condition?.(result(0.7))).toBe(true);
    expect(latency.condition?.(result(0.3))).toBe(false);
    expect(latency.condition?.(result(Number.NaN))).toBe(false);
    expect(monitorById("checkout-latency-p99").code.condition).toBe(true);
    const summary = monitorCode(byId("checkout-error-rate")).summary!;
    const text = summary(
      { ...result(0.123456), labels: { instance: "checkout-7f9c:8080", status: "503" } },
      { monitorId: "checkout-error-rate", name: "Checkout 5xx rate", severity: "critical" },
    );
    expect(text).toBe("Checkout 5xx rate on checkout-7f9c:8080: 0.123 503 responses/s (limit 0.05/s)");
  });

  it("mutes the checkout service during the database upgrade window", () => {
    expect(manifest.silences).toContainEqual(
      expect.objectContaining({ kind: "maintenance", matchers: { monitors: [], services: ["checkout-payments"], labels: {} } }),
    );
  });
});

describe("the `wk init` template", () => {
  it("synthesizes a clean project: one monitor paging a 24/7-covered service, every secret declared", async () => {
    const dir = path.join(ROOT, "templates/init");
    const load = async (file: string) => (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    const initConfig = (await load("watchkeeper.config.ts")).default as ProjectConfig;
    const mods = [await load("policies/oncall.ts"), await load("monitors/example.ts")];
    for (const mod of mods) for (const value of Object.values(mod)) expect(isConstruct(value)).toBe(true);
    const parsed = parseManifest(sealManifest(synthesize({ config: initConfig, constructs: collectConstructs(mods.flatMap(Object.values)), sourceOf: () => "x.ts:1" })));
    if (!parsed.ok) throw new Error(parsed.reason);
    const m = parsed.manifest;
    expect(m.monitors.map((x) => x.id)).toEqual(["home-page"]);
    expect(m.monitors[0]!.service).toBe("my-service");
    expect(m.escalationPolicies[0]!.rules[0]!.targets).toEqual([{ type: "schedule", id: "primary-on-call" }]);
    expect(m.schedules[0]!.layers.every((l) => l.restrictions.length === 0)).toBe(true);
    expect(m.secrets).toEqual(["PAGERDUTY_ROUTING_KEY"]);
    expect(m.services[0]!.routingKey).toEqual({ secret: "PAGERDUTY_ROUTING_KEY" });
  });
});
