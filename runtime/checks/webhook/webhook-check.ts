import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import type { CheckContext } from "../types.js";

/**
 * Uptime-service intake: the state is whatever the service last posted. A "down" report fails with
 * the service's own message; before any report the monitor is ok (nothing has said otherwise).
 * value = 1 for up, 0 for down, null before any report.
 */
export async function runWebhookCheck(spec: CheckSpecOf<"webhook">, ctx: CheckContext): Promise<CheckResult[]> {
  const report = await ctx.inbound.lastUptimeReport(ctx.monitorId);
  if (report === null) {
    return [{ ok: true, value: null, message: `no ${spec.format} report received yet`, labels: {}, details: { format: spec.format }, durationMs: 0 }];
  }
  const at = new Date(report.at).toISOString();
  const message = report.up ? `up (reported at ${at})${report.message ? `: ${report.message}` : ""}` : report.message || `down (reported at ${at})`;
  return [
    {
      ok: report.up,
      value: report.up ? 1 : 0,
      message,
      labels: {},
      details: { format: spec.format, reportedAt: at, reportMessage: report.message },
      durationMs: 0,
    },
  ];
}
