import type { Logger } from "pino";
import { LimitedWarnings } from "../limited-warnings.js";
import { monitorsById } from "../monitors-by-id.js";
import type { InboundEvents } from "../checks/types.js";
import { sendJson, type Handler } from "../http/router.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { header, parseJson } from "../http/http-io.js";
import { redactThenShorten } from "../text/redact.js";
import { truncate } from "../text/truncate.js";
import { eventAge } from "./event-age.js";
import { safeEqual } from "./signature.js";

/** Longest message of an uptime report that is kept. */
const UPTIME_MESSAGE_MAX = 1000;

/**
 * An ISO 8601 (or RFC 3339) date-time that names an instant: `Z` or an offset, `T` or a space
 * between date and time (years beyond 9999 in the expanded form).
 */
const INSTANT = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Epoch milliseconds below this (March 1973) are no report's time, but they are what a sender
 * writing epoch seconds sends for any date up to the year 5138: read as milliseconds, every report
 * would be 1970 and dropped as stale with a 200, and the monitor would never go down.
 */
const EPOCH_MS_FLOOR = 1e11;

/**
 * Reads an up/down report from an uptime service's payload; null when it is not one. A generic
 * report may say when it was made (`at`: ISO 8601 with `Z` or an offset, or epoch milliseconds);
 * `atError` says why an `at` that is there is not taken as a time.
 */
export function parseUptimeReport(format: "nodeping" | "generic", body: unknown): { up: boolean; message: string; sentAt?: number; atError?: string } | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  if (format === "generic") {
    if (typeof b["up"] !== "boolean") return null;
    const at = b["at"] === undefined ? undefined : sentAtOf(b["at"]);
    return {
      up: b["up"],
      message: typeof b["message"] === "string" ? b["message"] : b["up"] ? "up" : "down",
      ...(typeof at === "number" ? { sentAt: at } : typeof at === "string" ? { atError: at } : {}),
    };
  }
  // NodePing webhooks carry the event as `event` ("up"/"down"), or `result`/`status` in custom bodies.
  const raw = [b["event"], b["result"], b["status"], b["state"]].find((v) => typeof v === "string" || typeof v === "boolean");
  let up: boolean | null = null;
  if (typeof raw === "boolean") up = raw;
  else if (typeof raw === "string") {
    const v = raw.trim().toLowerCase();
    if (["up", "success", "pass", "ok", "true"].includes(v)) up = true;
    else if (["down", "fail", "failure", "false", "error"].includes(v)) up = false;
  }
  if (up === null) return null;
  const label = typeof b["label"] === "string" ? b["label"] : null;
  const message = typeof b["message"] === "string" ? b["message"] : `${label ?? "check"} is ${up ? "up" : "down"}`;
  return { up, message: truncate(message, 1000) };
}

/**
 * A generic report's `at` as epoch milliseconds, or why it is not a time. A date-time without `Z`
 * or an offset (or Date.parse's other forms, `Sat Dec 05 2026 ...`) would be read in the runtime
 * machine's zone, hours off the sender's: refused, as the silences API refuses it.
 */
function sentAtOf(at: unknown): number | string {
  const ms = typeof at === "number" ? at : typeof at === "string" && INSTANT.test(at) ? Date.parse(at) : Number.NaN;
  if (typeof at === "number" && Number.isFinite(at) && Math.abs(at) < EPOCH_MS_FLOOR) {
    return `at is ${at}, which reads as a time in 1970: send epoch milliseconds, not seconds (${Math.round(at * 1000)}), or an ISO 8601 date-time with Z or an offset`;
  }
  if (!Number.isFinite(ms)) return "at is not a time: send an ISO 8601 date-time with Z or an offset (2026-12-05T22:00:00Z), or epoch milliseconds";
  return ms;
}

/**
 * `POST /webhooks/uptime/:monitor`: an uptime service reports up or down for a webhook monitor.
 * The shared token (the check's `token` secret) comes in `X-Watchkeeper-Token`, a bearer
 * `Authorization` header or `?token=`, and is compared in constant time.
 */
export function uptimeWebhookHandler(deps: {
  manifest: Manifest;
  inbound: InboundEvents;
  secret(name: string): string | undefined;
  /** Every secret value the runtime knows (the project's and its own: the API token, the signing key, the Redis URL). */
  secretValues(): string[];
  logger: Logger;
  clock: () => number;
  /** Reports whose `at` is older than this are not recorded (the manifest's webhookMaxAge). */
  maxAgeMs: number;
}): Handler {
  const monitors = monitorsById(deps.manifest);
  // Wrong tokens can come from anyone who reaches the port: one line a minute per monitor.
  const refusals = new LimitedWarnings(deps.logger, deps.clock);
  return async (req, res, params, raw) => {
    const monitor = monitors.get(params["monitor"] ?? "");
    if (!monitor || monitor.check.kind !== "webhook") return sendJson(res, 404, { error: "no webhook monitor with that id" });
    const expected = deps.secret(monitor.check.token.secret);
    const url = new URL(req.url ?? "/", "http://localhost");
    const given = header(req, "x-watchkeeper-token") ?? header(req, "authorization")?.replace(/^Bearer\s+/i, "") ?? url.searchParams.get("token") ?? "";
    if (!expected || !safeEqual(given, expected)) {
      refusals.warn(monitor.id, { monitor: monitor.id, remote: req.socket.remoteAddress }, "uptime webhook refused: missing or wrong token");
      return sendJson(res, 401, { error: "invalid token" });
    }
    const report = parseUptimeReport(monitor.check.format, parseJson(raw));
    if (!report) return sendJson(res, 400, { error: `not a ${monitor.check.format} up/down payload` });
    if (report.atError !== undefined) return sendJson(res, 400, { error: report.atError });
    const now = deps.clock();
    // A report that says when it was made is recorded only when fresh and newer than the last one:
    // a captured "up" replayed later, or a sender's retry arriving after the next report, cannot
    // overwrite what is true now. (Without `at` the token is all there is: docs/checks.md.)
    if (report.sentAt !== undefined) {
      const age = eventAge(report.sentAt, now, deps.maxAgeMs);
      if (age.kind === "stale") return sendJson(res, 200, { status: "stale", reason: age.reason.replace("occurred_at", "at") });
      const last = await deps.inbound.lastUptimeReport(monitor.id);
      if (last !== null && report.sentAt <= last.at) return sendJson(res, 200, { status: "out-of-order", reason: "a report made at or after this one is already recorded" });
    }
    // The sender's message is stored and shown: no secret the runtime knows (the check's own token,
    // the API token included) goes in.
    const message = redactThenShorten(report.message, UPTIME_MESSAGE_MAX, deps.secretValues());
    // Kept as the sender wrote it (at most a minute ahead): the next report is compared on the
    // sender's clock. Clamped to ours, a sender a minute ahead could have an older report replayed
    // over a newer one made within that minute.
    await deps.inbound.recordUptimeReport(monitor.id, { up: report.up, message, at: report.sentAt ?? now });
    sendJson(res, 202, { status: "recorded", up: report.up });
  };
}
