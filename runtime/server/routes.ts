import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MissingExport } from "../artifact.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { SecretSource } from "../notify/contract.js";
import type { Clock } from "../scheduler/clock.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { apiAccessOf, guardRead, tokenEquals } from "../http/api-auth.js";
import { sendJson, sendText, type Router } from "../http/router.js";
import { erroringMonitors } from "../evaluate/erroring.js";
import { renderStatusPage, worstState, type MonitorStatus } from "./status-page.js";

export interface RuntimeRouteDeps {
  manifest: Manifest;
  store: SqliteStore;
  metrics: RuntimeMetrics;
  secrets: SecretSource;
  clock: Clock;
  logger: Logger;
  missingExports: MissingExport[];
}

/** Health, readiness, metrics, the JSON API, heartbeat pings and the status page. */
export function registerRuntimeRoutes(router: Router, d: RuntimeRouteDeps): void {
  const monitors = new Map(d.manifest.monitors.map((m) => [m.id, m]));

  router.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));

  router.add("GET", "/readyz", (_req, res) => {
    const writable = d.store.writable(d.clock.now());
    const missingSecrets = d.secrets.missing();
    // Missing secrets do not make the runtime unready: it runs, and what needs them waits. Nor do
    // erroring monitors: the process is fine and a restart would not help, but they are listed.
    sendJson(res, writable ? 200 : 503, {
      ready: writable,
      manifest: { loaded: true, hash: d.manifest.hash, monitors: d.manifest.monitors.length },
      store: writable ? "writable" : "not writable",
      missingSecrets,
      brokenMonitors: d.missingExports.map((m) => `${m.monitorId}: bundle lacks ${m.export}()`),
      erroringMonitors: erroringMonitors(d.store.latestResults()).filter((m) => monitors.has(m.id)),
    });
  });

  router.add("GET", "/metrics", async (_req, res) => {
    sendText(res, 200, await d.metrics.registry.metrics(), d.metrics.registry.contentType);
  });

  // The detail API needs the token unless runtime.openReads; sendJson strips URL credentials.
  const access = apiAccessOf(d.manifest, (name) => d.secrets.get(name));

  router.add("GET", "/api/monitors", guardRead(access, (_req, res) => {
    sendJson(res, 200, { monitors: statuses(d, [...monitors.values()]).map(toApi) });
  }));

  router.add("GET", "/api/monitors/:id", guardRead(access, (_req, res, params) => {
    const monitor = monitors.get(params.id!);
    if (!monitor) return sendJson(res, 404, { error: `no monitor ${params.id}` });
    sendJson(res, 200, {
      monitor: { ...monitor },
      alerts: d.store.alertsOf(monitor.id),
      recentResults: d.store.recentResults(monitor.id),
    });
  }));

  router.add("GET", "/api/alerts", guardRead(access, (req, res) => {
    const all = new URL(req.url ?? "/", "http://x").searchParams.get("all") === "1";
    const alerts = d.store.allAlerts().filter((a) => all || a.state !== "inactive");
    sendJson(res, 200, { alerts });
  }));

  const heartbeat = (req: IncomingMessage, res: Parameters<Parameters<Router["add"]>[2]>[1], params: Record<string, string>) => {
    const id = params.id!;
    const monitor = monitors.get(id);
    if (!monitor || monitor.check.kind !== "heartbeat") {
      d.metrics.heartbeatUnknown.inc();
      d.logger.warn({ monitorId: id }, "heartbeat for an unknown monitor id (or not a heartbeat monitor)");
      return sendJson(res, 404, { error: `no heartbeat monitor ${id}` });
    }
    const tokenName = monitor.check.token?.secret ?? null;
    if (tokenName !== null) {
      const expected = d.secrets.get(tokenName);
      if (expected === undefined) {
        d.logger.warn({ monitorId: id, secret: tokenName }, "heartbeat token secret is not set; ping refused");
        return sendJson(res, 503, { error: "heartbeat token not configured" });
      }
      if (!tokenEquals(presentedToken(req), expected)) return sendJson(res, 401, { error: "bad or missing token" });
    }
    const at = d.clock.now();
    d.store.recordHeartbeat(id, at);
    sendJson(res, 200, { ok: true, at: new Date(at).toISOString() });
  };
  router.add("POST", "/heartbeat/:id", (req, res, params) => heartbeat(req, res, params));
  // Cron jobs often ping with a plain `curl URL`; GET is accepted as well.
  router.add("GET", "/heartbeat/:id", (req, res, params) => heartbeat(req, res, params));

  router.add("GET", "/", (_req, res) => {
    const page = renderStatusPage(d.manifest, statuses(d, [...monitors.values()]), d.clock.now());
    sendText(res, 200, page, "text/html; charset=utf-8");
  });
}

function statuses(d: RuntimeRouteDeps, list: MonitorSpec[]): Array<MonitorStatus & { monitor: MonitorSpec }> {
  const latest = d.store.latestResults();
  return list.map((monitor) => {
    const alerts = d.store.alertsOf(monitor.id);
    const last = latest.get(monitor.id) ?? null;
    return { monitor, id: monitor.id, name: monitor.name, state: last === null && alerts.length === 0 ? "no data" : worstState(alerts, last), lastResult: last };
  });
}

function toApi(s: MonitorStatus & { monitor: MonitorSpec }) {
  return {
    id: s.id,
    name: s.name,
    kind: s.monitor.check.kind,
    severity: s.monitor.severity,
    schedule: s.monitor.schedule,
    state: s.state,
    lastResult: s.lastResult,
  };
}

/**
 * A heartbeat's token, as an uptime webhook's: `X-Watchkeeper-Token`, else `Authorization: Bearer`,
 * else `?token=` (docs/security.md tells senders to prefer the headers). The first one present is
 * the one compared: a wrong header is not rescued by a right query.
 */
function presentedToken(req: IncomingMessage): string {
  const own = req.headers["x-watchkeeper-token"];
  if (own !== undefined) return Array.isArray(own) ? own.join(",") : own;
  const auth = req.headers.authorization ?? "";
  if (auth.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim();
  return new URL(req.url ?? "/", "http://x").searchParams.get("token") ?? "";
}
