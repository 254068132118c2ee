import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import type { CheckContext } from "../types.js";
import { formatMs } from "../shared/deadline.js";

/** How long a press keeps the alert firing when nobody resolves it first. */
export const DEFAULT_EMERGENCY_HOLD_MS = 60 * 60 * 1000;

/**
 * Manual (emergency button) check. A press makes the check fail from the press on, so the alert
 * fires on the next tick; it keeps failing until the emergency is resolved (PagerDuty incident
 * resolved, recorded with `recordEmergencyResolved`) or until the hold time (ctx.emergencyHoldMs,
 * default 1 h) has passed since the press, whichever comes first. A later press starts over.
 * value = 1 while an emergency is open, 0 otherwise.
 */
export async function runManualCheck(spec: CheckSpecOf<"manual">, ctx: CheckContext): Promise<CheckResult[]> {
  const holdMs = ctx.emergencyHoldMs ?? DEFAULT_EMERGENCY_HOLD_MS;
  const press = await ctx.inbound.lastEmergency(ctx.monitorId);
  const resolvedAt = (await ctx.inbound.lastEmergencyResolved?.(ctx.monitorId)) ?? null;
  const now = ctx.now.getTime();
  const title = spec.title || "emergency";
  if (press === null) return [calm(`${title}: not pressed`, {})];
  const pressedAt = new Date(press.at).toISOString();
  if (resolvedAt !== null && resolvedAt >= press.at) {
    return [calm(`${title}: resolved at ${new Date(resolvedAt).toISOString()}`, { pressedAt, resolvedAt: new Date(resolvedAt).toISOString() })];
  }
  if (now - press.at >= holdMs) {
    return [calm(`${title}: press at ${pressedAt} expired after ${formatMs(holdMs)}`, { pressedAt })];
  }
  return [
    {
      ok: false,
      value: 1,
      message: `${title} pressed at ${pressedAt}: ${press.message}`,
      labels: {},
      details: { pressedAt, reporterMessage: press.message, clearsAt: new Date(press.at + holdMs).toISOString() },
      durationMs: 0,
    },
  ];
}

function calm(message: string, details: Record<string, unknown>): CheckResult {
  return { ok: true, value: 0, message, labels: {}, details, durationMs: 0 };
}
