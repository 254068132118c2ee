import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { durationMs } from "../../sdk/duration.js";
import { runtimeSettingsOf, type DiagnosticSpec, type Manifest } from "../../sdk/manifest/schema.js";
import type { AlertControl, OutboxWriter } from "../alerts/intent.js";
import type { InboundEvents } from "../checks/types.js";
import { refuseCrossOrigin, tokenEquals } from "../http/api-auth.js";
import { fromPageOnForeignHost, hostPolicyOf } from "../http/host-check.js";
import { sendJson, SMALL_BODY_BYTES, type Router } from "../http/router.js";
import { registerEmergencyRoutes, type Diagnose } from "./emergency-route.js";
import { HeartbeatPings } from "./heartbeat-pings.js";
import { pagerDutyWebhookHandler } from "./pagerduty-webhook.js";
import { uptimeWebhookHandler } from "./uptime-webhook.js";
import type { WebhookIdLog } from "./webhook-ids.js";
import { LimitedWarnings } from "../limited-warnings.js";
import { monitorsById } from "../monitors-by-id.js";
import { truncate } from "../text/truncate.js";

/** Inbound tuning the command reads from the environment (WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS, WK_TRUST_PROXY). */
export interface InboundSettings {
  emergencyDiagnosticsTimeoutMs: number;
  /** Honour X-Forwarded-For for the emergency page's rate limit (only behind a trusted proxy). */
  trustProxy: boolean;
  /** Emergency form posts per client per minute. */
  emergencyAttemptsPerMinute: number;
}

export const DEFAULT_INBOUND_SETTINGS: InboundSettings = { emergencyDiagnosticsTimeoutMs: 8_000, trustProxy: false, emergencyAttemptsPerMinute: 5 };

/** An inbound setting in the environment holds something it cannot take; the message names the variable. */
export class InboundSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InboundSettingError";
  }
}

/** The longest timer Node keeps: a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads inbound settings from an environment (the command passes process.env). An empty variable
 * counts as not set; anything else it cannot take is refused, never read as the default.
 */
export function inboundSettingsFromEnv(env: Record<string, string | undefined>): InboundSettings {
  const timeout = env["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS"] ?? "";
  if (timeout !== "" && !(/^\d+$/.test(timeout) && Number(timeout) >= 1 && Number(timeout) <= MAX_TIMER_MS)) {
    throw new InboundSettingError(`WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, such as 8000, got ${JSON.stringify(timeout)}`);
  }
  const trustProxy = env["WK_TRUST_PROXY"] ?? "";
  if (trustProxy !== "" && trustProxy !== "0" && trustProxy !== "1") {
    throw new InboundSettingError(`WK_TRUST_PROXY must be 1 (behind a proxy that sets X-Forwarded-For) or 0, got ${JSON.stringify(trustProxy)}`);
  }
  return {
    ...DEFAULT_INBOUND_SETTINGS,
    emergencyDiagnosticsTimeoutMs: timeout === "" ? DEFAULT_INBOUND_SETTINGS.emergencyDiagnosticsTimeoutMs : Number(timeout),
    trustProxy: trustProxy === "1",
  };
}

/** Turns `runDiagnostics(specs, { now, signal })` into the emergency page's Diagnose. */
export function diagnoseWith(run: (specs: DiagnosticSpec[], opts: { now: Date; signal: AbortSignal }) => Promise<{ text: string }>): Diagnose {
  return async (monitor, now, signal) => (await run(monitor.diagnostics, { now: new Date(now), signal })).text;
}

/** What the inbound routes need; the store through the ports inbound owns. */
export interface InboundDeps {
  manifest: Manifest;
  store: OutboxWriter & InboundEvents & WebhookIdLog;
  alerts: AlertControl;
  secret(name: string): string | undefined;
  /** Every secret value the runtime knows, to scrub from what senders say before it is stored. */
  secretValues(): string[];
  logger: Logger;
  clock: () => number;
  settings: InboundSettings;
  /** Runs diagnostics for the emergency page; default: none attached. */
  diagnose?: Diagnose;
  /** Counts pings for unknown monitors (`watchkeeper_heartbeat_unknown_total`). */
  onUnknownHeartbeat?: () => void;
  /** Host names answered beyond IP addresses, localhost, service names and the publicUrl's host (runtime/http/host-check.ts). */
  allowedHosts?: readonly string[];
}

/**
 * Everything the outside world tells the runtime: PagerDuty v3 webhooks (acknowledge, resolve),
 * uptime-service webhooks, the emergency page and heartbeat pings. Each is parsed and
 * authenticated at the edge; what reaches the store is typed.
 */
export function registerInboundRoutes(router: Router, d: InboundDeps): void {
  const webhookMaxAgeMs = durationMs(runtimeSettingsOf(d.manifest).webhookMaxAge);
  router.add("POST", "/webhooks/pagerduty", pagerDutyWebhookHandler({ alerts: d.alerts, ids: d.store, secret: d.secret, logger: d.logger, clock: d.clock, maxAgeMs: webhookMaxAgeMs }));
  router.add("POST", "/webhooks/uptime/:monitor", uptimeWebhookHandler({ manifest: d.manifest, inbound: d.store, secret: d.secret, secretValues: d.secretValues, logger: d.logger, clock: d.clock, maxAgeMs: webhookMaxAgeMs }), {
    maxBodyBytes: 4 * SMALL_BODY_BYTES,
  });
  registerEmergencyRoutes(router, {
    manifest: d.manifest,
    outbox: d.store,
    inbound: d.store,
    secret: d.secret,
    secretValues: d.secretValues,
    diagnose: d.diagnose ?? (async () => ""),
    logger: d.logger,
    clock: d.clock,
    attemptsPerMinute: d.settings.emergencyAttemptsPerMinute,
    diagnosticsTimeoutMs: d.settings.emergencyDiagnosticsTimeoutMs,
    trustProxy: d.settings.trustProxy,
    publicUrl: d.manifest.settings.publicUrl,
  });
  registerHeartbeatRoutes(router, d);
}

/** `POST|GET /heartbeat/:id`: a cron job's ping, with the monitor's token when it has one. */
function registerHeartbeatRoutes(router: Router, d: InboundDeps): void {
  const monitors = monitorsById(d.manifest);
  // Anyone who reaches the port can ping any id: the metric counts every unknown one, the log one a minute.
  const unknown = new LimitedWarnings(d.logger, d.clock);
  const hosts = hostPolicyOf(d.manifest.settings.publicUrl, d.allowedHosts);
  const pings = new HeartbeatPings();
  const heartbeat = async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => {
    const id = params.id!;
    const monitor = monitors.get(id);
    if (!monitor || monitor.check.kind !== "heartbeat") {
      d.onUnknownHeartbeat?.();
      unknown.warn("unknown-id", { monitorId: truncate(id, 200) }, "heartbeat for an unknown monitor id (or not a heartbeat monitor)");
      return sendJson(res, 404, { error: `no heartbeat monitor ${id}` });
    }
    const tokenName = monitor.check.token?.secret ?? null;
    // Without a token, a page on another site could ping through every colleague's browser that
    // opens it (an <img> is enough) and keep a dead job looking alive. Cron jobs send no such headers.
    if (tokenName === null && refuseCrossOrigin(req, d.manifest.settings.publicUrl)) {
      unknown.warn(`cross-site:${id}`, { monitorId: id, origin: req.headers.origin ?? null, site: req.headers["sec-fetch-site"] ?? null }, "heartbeat from a page on another site refused");
      return sendJson(res, 403, { error: "heartbeats are not taken from a page on another site; give the heartbeat a token to ping from a browser" });
    }
    // A page on a name its owner re-pointed at this runtime (DNS rebinding) passes the check above.
    if (tokenName === null && fromPageOnForeignHost(req, hosts)) {
      unknown.warn(`foreign-host:${id}`, { monitorId: id, host: truncate(String(req.headers.host), 200) }, "heartbeat from a page on a host the runtime does not answer to refused");
      return sendJson(res, 403, {
        error: "heartbeats are not taken from a page on a host this runtime does not answer to (a guard against DNS rebinding); give the heartbeat a token, or set settings.publicUrl or WK_ALLOWED_HOSTS to the host",
      });
    }
    if (tokenName === null && silentBrowser(req)) {
      unknown.warn(`silent-browser:${id}`, { monitorId: id }, "heartbeat from a browser that does not say which page sent it refused");
      return sendJson(res, 403, { error: "heartbeats are not taken from a browser that does not say which page sent the request (over plain http it never does); give the heartbeat a token to ping from a browser" });
    }
    if (tokenName !== null) {
      const expected = d.secret(tokenName);
      if (expected === undefined) {
        // Every ping says this until the secret is set: once a minute per monitor (the id is one the manifest holds).
        unknown.warn(`token-unset:${id}`, { monitorId: id, secret: tokenName }, "heartbeat token secret is not set; ping refused");
        return sendJson(res, 503, { error: "heartbeat token not configured" });
      }
      if (!tokenEquals(presentedToken(req), expected)) return sendJson(res, 401, { error: "bad or missing token" });
    }
    const at = d.clock();
    const taken = pings.take(id, at);
    if (taken.stamp) await d.store.recordHeartbeat(id, at);
    if (taken.limited) unknown.warn(`limited:${id}`, { monitorId: id }, "heartbeat pinged more than 60 times a minute (a leaked token, a job in a loop?); its pings are written once a second meanwhile");
    sendJson(res, 200, { ok: true, at: new Date(at).toISOString() });
  };
  router.add("POST", "/heartbeat/:id", heartbeat, { maxBodyBytes: SMALL_BODY_BYTES });
  // Cron jobs often ping with a plain `curl URL`; GET is accepted as well.
  router.add("GET", "/heartbeat/:id", heartbeat);
}

/**
 * A browser's request that says nothing of where it comes from. Browsers send Sec-Fetch-Site only
 * to https and localhost, and an image or a link sends no Origin: over plain http (the usual way to
 * reach a runtime inside a network) an <img> on any page a colleague opens looks like a cron job's
 * GET, but for the User-Agent. Every browser's names AppleWebKit or Gecko; curl, wget, Python, Go
 * and PowerShell do not, and a page cannot change the one its browser sends.
 */
function silentBrowser(req: IncomingMessage): boolean {
  if (req.headers["sec-fetch-site"] !== undefined || req.headers.origin !== undefined) return false;
  return /\b(?:AppleWebKit|Gecko)\//.test(req.headers["user-agent"] ?? "");
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
