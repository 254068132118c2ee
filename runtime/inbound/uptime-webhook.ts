import type { Logger } from "pino";
import { LimitedWarnings } from "../limited-warnings.js";
import { monitorsById } from "../monitors-by-id.js";
import type { InboundEvents } from "../checks/types.js";
import { sendJson, type Handler } from "../http/router.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { header, parseJson } from "../http/http-io.js";
import { redactThenShorten } from "../text/redact.js";
import { truncate } from "../text/truncate.js";
import { safeEqual } from "./signature.js";

/** Longest message of an uptime report that is kept. */
const UPTIME_MESSAGE_MAX = 1000;

/** Reads an up/down report from an uptime service's payload; null when it is not one. */
export function parseUptimeReport(format: "nodeping" | "generic", body: unknown): { up: boolean; message: string } | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  if (format === "generic") {
    if (typeof b["up"] !== "boolean") return null;
    return { up: b["up"], message: typeof b["message"] === "string" ? b["message"] : b["up"] ? "up" : "down" };
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
    // The sender's message is stored and shown: no secret the runtime knows (the check's own token,
    // the API token included) goes in.
    const message = redactThenShorten(report.message, UPTIME_MESSAGE_MAX, deps.secretValues());
    await deps.inbound.recordUptimeReport(monitor.id, { ...report, message, at: deps.clock() });
    sendJson(res, 202, { status: "recorded", up: report.up });
  };
}
