import type { Logger } from "pino";
import { runtimeSettingsOf, type Manifest, type MonitorSpec } from "../../sdk/manifest/schema.js";
import type { Alert } from "../alerts/state.js";
import type { MissingExport } from "../artifact.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { SecretSource } from "../notify/contract.js";
import type { Clock } from "../scheduler/clock.js";
import { PUBLIC_READINESS_DETAILS, type SchedulerReadiness } from "../scheduler/tick-scheduler.js";
import { apiAccessOf, guardRead, refuseRead } from "../http/api-auth.js";
import type { SignedOutSessions } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import { hostPolicyOf, refuseHost } from "../http/host-check.js";
import { sendJson, sendText, type Router } from "../http/router.js";
import { erroringMonitors } from "../evaluate/erroring.js";
import type { StateView } from "./state-view.js";
import { sharedRender } from "./shared-render.js";
import { worstState, type MonitorStatus, type ReplicaView } from "./status-page.js";
import { monitorsById } from "../monitors-by-id.js";
import { withoutCredentialValues } from "../text/credential-headers.js";
import { REDACTED } from "../text/redact.js";

export interface RuntimeRouteDeps {
  manifest: Manifest;
  store: StateView;
  metrics: RuntimeMetrics;
  secrets: SecretSource;
  clock: Clock;
  logger: Logger;
  missingExports: MissingExport[];
  /** Readiness beyond the store: scale-out reports its Redis connection, replicas and locations. */
  readiness?: () => Promise<SchedulerReadiness>;
  /** Monitors that do not run as their spec asks, and why (shown in their status). */
  monitorNotes?: () => Promise<Map<string, string>>;
  /** Scale-out: the replicas sharing the work (status page). */
  replicas?: () => Promise<ReplicaView[]>;
  /** Host names answered beyond IP addresses, localhost, service names and the publicUrl's host (runtime/http/host-check.ts). */
  allowedHosts?: readonly string[];
  /** Wrong API tokens per client, one count for every route of the runtime. */
  tokenGuesses?: TokenGuesses;
  /** Browser sessions signed out, refused on every route that takes a session. */
  signedOut?: SignedOutSessions;
}

/** Health, readiness, metrics, the JSON API and the status page. */
export function registerRuntimeRoutes(router: Router, d: RuntimeRouteDeps): void {
  const monitors = monitorsById(d.manifest);
  const hosts = hostPolicyOf(d.manifest.settings.publicUrl, d.allowedHosts);
  // Only open reads are worth rebinding a name for (runtime/http/host-check.ts).
  if (runtimeSettingsOf(d.manifest).openReads) router.guard("host", (req, path) => refuseHost(req, path, hosts));

  router.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));

  // The detail API needs the token unless runtime.openReads; sendJson strips URL credentials.
  const access = apiAccessOf(d.manifest, (name) => d.secrets.get(name), undefined, d.tokenGuesses, d.signedOut);

  // Every monitor's newest result, read for each probe: anyone may ask, so a flood shares the read.
  const erroring = sharedRender(async () => erroringMonitors(await Promise.resolve(d.store.latestResults()).catch(() => new Map())));
  router.add("GET", "/readyz", async (req, res) => {
    const scheduling = d.readiness
      ? await d.readiness().catch((error: unknown): SchedulerReadiness => ({ ready: false, reason: `readiness failed: ${String(error)}`, publicReason: "readiness could not be read", details: {} }))
      : null;
    // With Redis unreachable the store cannot be written either; asking would only wait for a timeout.
    const writable = scheduling?.ready === false ? false : await Promise.resolve(d.store.writable(d.clock.now())).catch(() => false);
    const ready = writable && (scheduling?.ready ?? true);
    const missingSecrets = d.secrets.missing();
    const detailed = refuseRead(req, access) === null;
    // Missing secrets do not make the runtime unready: it runs, and what needs them waits. Nor do
    // erroring monitors: the process is fine and a restart would not help, but they are listed.
    sendJson(res, ready ? 200 : 503, {
      ready,
      // The scheduler's reason names Redis's host and its error, and replicas are named after their
      // hosts: for those who may read the API. A probe's reader learns what is wrong in words.
      ...(scheduling ? (detailed ? { reason: scheduling.reason, ...scheduling.details } : { reason: scheduling.publicReason, ...publicDetails(scheduling.details) }) : {}),
      manifest: { loaded: true, hash: d.manifest.hash, monitors: d.manifest.monitors.length },
      store: writable ? "writable" : "not writable",
      missingSecrets,
      brokenMonitors: d.missingExports.map((m) => `${m.monitorId}: bundle lacks ${m.export}()`),
      // Which monitors err is for anyone's probe; why (a target's host, a body's first bytes) is
      // detail, for those who may read the API.
      erroringMonitors: (await erroring())
        .filter((m) => monitors.has(m.id))
        .map((m) => (detailed ? m : { id: m.id, at: m.at })),
    });
  });

  // Anyone may scrape, and a scrape renders every monitor's series: a flood shares renders.
  const metricsText = sharedRender(() => d.metrics.registry.metrics());
  router.add("GET", "/metrics", async (_req, res) => {
    sendText(res, 200, await metricsText(), d.metrics.registry.contentType);
  });

  router.add("GET", "/api/monitors", guardRead(access, async (_req, res) => {
    sendJson(res, 200, { monitors: (await statuses(d, [...monitors.values()])).map(toApi) });
  }));

  router.add("GET", "/api/monitors/:id", guardRead(access, async (_req, res, params) => {
    const monitor = monitors.get(params.id!);
    if (!monitor) return sendJson(res, 404, { error: `no monitor ${params.id}` });
    sendJson(res, 200, {
      monitor: shownMonitor(monitor),
      alerts: await d.store.alertsOf(monitor.id),
      recentResults: await d.store.recentResults(monitor.id),
    });
  }));

  router.add("GET", "/api/alerts", guardRead(access, async (req, res) => {
    const all = new URL(req.url ?? "/", "http://x").searchParams.get("all") === "1";
    const alerts = (await d.store.allAlerts()).filter((a) => all || a.state !== "inactive");
    sendJson(res, 200, { alerts });
  }));

  // The pages (/, /monitors, /alerts, /silences, /status, badges, /events) are runtime/views.
}

/**
 * A monitor as the API shows it: a literal value in a credential header (`X-Api-Key`, `Cookie`; an
 * artifact compiled before no-secret-literals refused it, or with the rule off) is the marker; a
 * secret reference names the secret and stays.
 */
function shownMonitor(monitor: MonitorSpec): MonitorSpec {
  const check = monitor.check;
  if (!("headers" in check)) return { ...monitor };
  return { ...monitor, check: { ...check, headers: withoutCredentialValues(check.headers, REDACTED) } } as MonitorSpec;
}

function publicDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).filter(([key]) => PUBLIC_READINESS_DETAILS.includes(key)));
}

async function statuses(d: RuntimeRouteDeps, list: MonitorSpec[]): Promise<Array<MonitorStatus & { monitor: MonitorSpec }>> {
  const latest = await d.store.latestResults();
  const notes = d.monitorNotes ? await d.monitorNotes().catch(() => new Map<string, string>()) : new Map<string, string>();
  const byMonitor = new Map<string, Alert[]>();
  for (const alert of await d.store.allAlerts()) byMonitor.set(alert.monitorId, [...(byMonitor.get(alert.monitorId) ?? []), alert]);
  return list.map((monitor) => {
    const alerts = byMonitor.get(monitor.id) ?? [];
    const last = latest.get(monitor.id) ?? null;
    const note = notes.get(monitor.id);
    return { monitor, id: monitor.id, name: monitor.name, state: last === null && alerts.length === 0 ? "no data" : worstState(alerts, last), lastResult: last, ...(note ? { note } : {}) };
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
    ...(s.note ? { note: s.note } : {}),
  };
}
