import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { LimitedWarnings } from "../limited-warnings.js";
import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { alertKey } from "../alerts/alert-key.js";
import type { NotificationIntent, OutboxWriter } from "../alerts/intent.js";
import type { InboundEvents } from "../checks/types.js";
import { sendText, SMALL_BODY_BYTES, type Router } from "../http/router.js";
import { refuseCrossOrigin } from "../http/api-auth.js";
import { clientAddress, header } from "../http/http-io.js";
import { redactThenShorten, truncate } from "../notify/redact.js";
import { safeEqual } from "./signature.js";
import { emergencyConfirmation, emergencyForm, noEmergencyMonitors } from "./emergency-page.js";
import { FormTokens, formKeyOf, type FormKeySource } from "./form-token.js";
import { attemptCounter, rateLimitKey, type SharedAttempts } from "./rate-limit.js";

/** Runs a monitor's diagnostics and returns their text ("" when it has none). */
export type Diagnose = (monitor: MonitorSpec, now: number, signal: AbortSignal) => Promise<string>;

export interface EmergencyDeps {
  manifest: Manifest;
  outbox: OutboxWriter;
  /** With a shared form key (Redis), a form any replica served is taken by every other; with shared attempts, the limit holds across replicas. */
  inbound: InboundEvents & Partial<FormKeySource> & Partial<SharedAttempts>;
  secret(name: string): string | undefined;
  /** Every secret value the runtime knows; the report is stored and paged without them (the password always). */
  secretValues?(): string[];
  diagnose: Diagnose;
  logger: Logger;
  clock: () => number;
  /** Presses (right or wrong) allowed per client address per minute. */
  attemptsPerMinute: number;
  /** How long diagnostics may run before the page goes out without them. */
  diagnosticsTimeoutMs: number;
  trustProxy: boolean;
  /** `settings.publicUrl`: its origin counts as the runtime's own for the Origin check. */
  publicUrl: string | null;
  /** Anti-forgery tokens; by default keyed by the store's shared form key, else a random key drawn at start-up. */
  formTokens?: FormTokens;
}

const HTML = "text/html; charset=utf-8";
/** The page's one inline stylesheet and nothing else: no script, no other origin, posts only to itself. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * `GET /emergency` serves the form; `POST /emergency` refuses cross-site posts (Origin,
 * Sec-Fetch-Site), checks the form's anti-forgery token and the manual check's password in
 * constant time (rate limited per client address), runs the monitor's diagnostics for a bounded
 * time, records the press and enqueues a trigger through the outbox so nothing is lost:
 * the monitor's channels page (a PagerDuty incident channel opens an incident) and its ack
 * channels (the customer) get the confirmation, with the diagnostics attached.
 */
export function registerEmergencyRoutes(router: Router, deps: EmergencyDeps): void {
  const manual = deps.manifest.monitors.filter((m) => m.check.kind === "manual");
  const title = `${deps.manifest.settings.statusPage.title} — emergency`;
  const attempt = attemptCounter("emergency", deps.attemptsPerMinute, deps.inbound);
  // Refusals before the rate limiter, and the limiter's own: one line a minute each, whatever the flood.
  const refusals = new LimitedWarnings(deps.logger, deps.clock);
  const own = deps.formTokens ?? new FormTokens();
  const shared = deps.formTokens ? null : deps.inbound.emergencyFormKey?.bind(deps.inbound) ?? null;
  let current: { hex: string; tokens: FormTokens } | null = null;
  /**
   * The tokens of the store's shared key, read on every use (a Redis that lost its data makes a new
   * one, and every replica must move to it together); this runtime's own key without one.
   */
  const formTokens = async (): Promise<FormTokens> => {
    if (shared === null) return own;
    try {
      const hex = await shared();
      if (current?.hex === hex) return current.tokens;
      const key = formKeyOf(hex);
      if (key === null) throw new Error("the stored form key is not 32 bytes of hex");
      current = { hex, tokens: new FormTokens(key) };
      return current.tokens;
    } catch (error) {
      refusals.warn("form-key", { err: error }, "emergency page: the shared form key cannot be read; forms served now are taken only by this runtime");
      return own;
    }
  };

  router.add("GET", "/emergency", async (_req, res) => {
    if (manual.length === 0) return sendPage(res, 404, noEmergencyMonitors());
    sendPage(res, 200, emergencyForm({ monitors: manual, title, formToken: (await formTokens()).issue(deps.clock()) }));
  });

  router.add("POST", "/emergency", async (req, res, _params, raw) => {
    if (manual.length === 0) return sendPage(res, 404, noEmergencyMonitors());
    const now = deps.clock();
    const client = clientAddress(req, deps.trustProxy);
    const tokens = await formTokens();
    const fresh = () => tokens.issue(now);
    // Refused before the rate limiter counts it: a foreign page must not lock a colleague out.
    const crossSite = refuseCrossOrigin(req, deps.publicUrl);
    if (crossSite) {
      refusals.warn("cross-site", { client, origin: header(req, "origin") ?? null, site: header(req, "sec-fetch-site") ?? null }, "emergency page: cross-site post refused");
      return sendPage(res, 403, emergencyForm({ monitors: manual, title, error: "This form can only be sent from this page.", formToken: fresh() }));
    }
    const allowed = await attempt(rateLimitKey(client), now);
    if (allowed.kind === "unavailable") {
      // Uncounted guesses would be unlimited: no password is checked while the count cannot be kept.
      refusals.warn("attempts-unavailable", { err: allowed.error }, "emergency page: attempts cannot be counted (the store does not answer); posts are refused");
      return sendPage(res, 503, emergencyForm({ monitors: manual, title, error: "The emergency page cannot take reports right now. Call the on-call engineer directly.", formToken: fresh() }));
    }
    if (allowed.kind === "limited") {
      refusals.warn("rate-limited", { client }, "emergency page rate limited");
      res.setHeader("retry-after", String(Math.ceil(allowed.retryAfterMs / 1000)));
      return sendPage(res, 429, emergencyForm({ monitors: manual, title, error: "Too many attempts. Wait a minute and try again.", formToken: fresh() }));
    }
    const form = new URLSearchParams(raw.toString("utf8"));
    const monitorId = form.get("monitor") ?? (manual.length === 1 ? manual[0]!.id : "");
    const message = (form.get("message") ?? "").trim();
    const password = form.get("password") ?? "";
    const monitor = manual.find((m) => m.id === monitorId);
    const again = (status: number, error: string) =>
      sendPage(res, status, emergencyForm({ monitors: manual, title, error, selected: monitorId, message, formToken: fresh() }));
    if (!tokens.verify(form.get("form_token") ?? "", now)) {
      deps.logger.warn({ client }, "emergency page: missing, forged or expired form token");
      return again(403, "This form has expired. Check your report and send it again.");
    }
    if (!monitor || monitor.check.kind !== "manual") return again(400, "Choose what is affected.");
    if (message === "") return again(400, "Say what is happening.");
    const expected = deps.secret(monitor.check.password.secret);
    if (!expected) {
      deps.logger.error({ monitor: monitor.id, secret: monitor.check.password.secret }, "emergency password secret is not set");
      return again(503, "The emergency page is not configured. Call the on-call engineer directly.");
    }
    if (!safeEqual(password, expected)) {
      deps.logger.warn({ monitor: monitor.id, client }, "emergency page: wrong password");
      return again(401, "That password is not right.");
    }

    // The reporter's text is stored and paged to every channel: a password typed into the wrong box
    // or pasted along with the report, or any other secret the runtime knows, is not.
    const reported = redactThenShorten(message, 2000, [expected, ...(deps.secretValues?.() ?? [])]);
    const diagnostics = await runBounded(deps, monitor, now);
    // Recorded right before the trigger is queued, so the manual check's own tick (which reads the
    // press) cannot page ahead of this report and its diagnostics.
    await deps.inbound.recordEmergency(monitor.id, now, reported);
    const dedupKey = alertKey(monitor.id, {});
    const intent: NotificationIntent = {
      id: `${dedupKey}:emergency:${now}`,
      type: "trigger",
      monitorId: monitor.id,
      dedupKey,
      labels: {},
      severity: monitor.severity,
      summary: truncate(`${monitor.check.title || monitor.name}: ${reported}`, 1024),
      value: null,
      details: { emergency: true, message: reported, reportedFrom: client, ...(diagnostics ? { diagnostics } : {}) },
      at: now,
      firedAt: now,
    };
    await deps.outbox.enqueue(intent);
    deps.logger.info({ monitor: monitor.id, client }, "emergency reported; page queued");
    sendPage(res, 202, emergencyConfirmation(title, monitor.check.title || monitor.name));
  }, { maxBodyBytes: SMALL_BODY_BYTES });
}

/**
 * Every answer of the page carries a form (with a fresh token) or what a press did: none may be
 * framed by another site (clickjacking a password field), nor kept by a cache.
 */
function sendPage(res: ServerResponse, status: number, page: string): void {
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("content-security-policy", PAGE_POLICY);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("cache-control", "no-store");
  sendText(res, status, page, HTML);
}

async function runBounded(deps: EmergencyDeps, monitor: MonitorSpec, now: number): Promise<string> {
  if (monitor.diagnostics.length === 0) return "";
  const signal = AbortSignal.timeout(deps.diagnosticsTimeoutMs);
  try {
    return await Promise.race([
      deps.diagnose(monitor, now, signal),
      new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve("(diagnostics did not finish in time)"), { once: true })),
    ]);
  } catch (error) {
    deps.logger.warn({ err: error, monitor: monitor.id }, "emergency diagnostics failed");
    return `(diagnostics failed: ${error instanceof Error ? error.message : String(error)})`;
  }
}
