import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { HEARTBEAT_CLOCK_SLACK_MS, type CheckContext } from "../types.js";
import { formatMs } from "../shared/deadline.js";

/**
 * Heartbeat check: ok while the last ping is no older than `every + grace` at the tick's time.
 * Before the first ping, the runtime's start-up counts as one, so a fresh deploy gets a full period.
 * value = age of the last ping in ms (null before the first ping).
 */
export async function runHeartbeatCheck(spec: CheckSpecOf<"heartbeat">, ctx: CheckContext): Promise<CheckResult[]> {
  const allowedMs = durationMs(spec.every) + durationMs(spec.grace);
  const now = ctx.now.getTime();
  const last = await ctx.inbound.lastHeartbeat(ctx.monitorId);
  const details: Record<string, unknown> = {
    expectedEvery: spec.every,
    grace: spec.grace,
    lastPingAt: last === null ? null : new Date(last).toISOString(),
  };
  if (last === null) {
    const since = now - ctx.startedAt.getTime();
    const ok = since <= allowedMs;
    const started = ctx.startedAt.toISOString();
    const message = ok
      ? `no ping yet; waiting since start-up at ${started} (allowed ${formatMs(allowedMs)})`
      : `no ping since start-up at ${started}, ${formatMs(since)} ago (expected every ${spec.every} + ${spec.grace} grace)`;
    return [{ ok, value: null, message, labels: {}, details, durationMs: 0 }];
  }
  // A ping stamped slightly after the tick (clock skew, tick running late) counts as fresh. One
  // stamped after it by more than the whole window came from a clock that ran ahead: counted as
  // fresh it would hide a job that stopped until that time came round, maybe years on.
  const ahead = last - now;
  if (ahead > Math.max(allowedMs, HEARTBEAT_CLOCK_SLACK_MS)) {
    const message = `last ping stamped ${new Date(last).toISOString()}, ${formatMs(ahead)} after this check: the clock that stamped it ran ahead, so how old it is is not known; the next ping sets it right`;
    return [{ ok: false, value: null, message, labels: {}, details: { ...details, aheadMs: ahead }, durationMs: 0 }];
  }
  const age = Math.max(0, -ahead);
  const ok = age <= allowedMs;
  const when = `last ping at ${new Date(last).toISOString()}, ${formatMs(age)} ago`;
  const message = ok ? when : `${when}; expected every ${spec.every} + ${spec.grace} grace`;
  return [{ ok, value: age, message, labels: {}, details: { ...details, ageMs: age }, durationMs: 0 }];
}
