import { MockAgent } from "undici";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MonitorCode } from "../../sdk/result.js";
import { durationMs } from "../../sdk/duration.js";
import { runCheck } from "../../runtime/checks/index.js";
import type { CheckContext, CheckOutcome } from "../../runtime/checks/types.js";
import type { CheckRunner } from "../../runtime/evaluate/run-check.js";
import type { DnsRcode } from "../../sdk/index.js";
import { answerFromText, replyForError, type DnsQuery } from "../../runtime/checks/dns/records.js";
import type { TcpAttempt } from "../../runtime/checks/tcp/tcp-check.js";
import type { StepAction } from "./test-shape.js";

/**
 * The check result injector: the CheckRunner a tick calls (runtime/evaluate/tick.ts) answers from
 * the test's current step instead of the network, through the runtime's own check code wherever
 * that code judges something:
 *
 * - http, httpWindow, prometheus: the real check runs against an undici MockAgent that answers
 *   with the step's status, headers and body (a Prometheus API vector for `series`), so status,
 *   latency, header and JSON expectations, extraction and the query-response parser are the
 *   runtime's; latency and certificates come from the step through the check's seams.
 * - heartbeat, webhook, manual: the real check runs over the store, where the simulation records
 *   pings, uptime reports and presses at their step times.
 * - script: the real check runs with the monitor's `run` answering the step's outcome, so the
 *   outcome is normalised as in production.
 * - dns: the real check runs with its DNS queries answered from the step (the resolver's records
 *   or rcode, and each nameserver's), so expected values, negative answers and silent nameservers
 *   are judged and worded by the runtime; the older `{ ok, answers }` step is the result itself.
 * - tcp: the real check runs with its connection opening after the step's latency or failing with
 *   the step's error, so the result carries the runtime's connect time, target and error code.
 * - error: the check fails to produce a result, with the step's reason.
 */
export function simulatedCheckRunner(current: (monitorId: string) => StepAction | null): CheckRunner {
  return async (monitor: MonitorSpec, ctx: CheckContext): Promise<CheckOutcome> => {
    const step = current(monitor.id);
    if (step?.kind === "error") return { kind: "error", error: step.message, reason: step.reason, durationMs: 0 };
    switch (monitor.check.kind) {
      case "http":
      case "httpWindow":
      case "prometheus":
        return step ? throughMockAgent(monitor, ctx, step) : noResult(monitor);
      case "dns":
        if (step?.kind === "dnsReply") return throughDnsAnswers(monitor, ctx, step);
        if (step?.kind !== "dns") return noResult(monitor);
        return results({ ok: step.ok, value: step.latencyMs, message: step.message ?? (step.ok ? `answers: ${step.answers.join(", ")}` : "DNS check failed"), details: { answers: step.answers } }, step.latencyMs);
      case "tcp": {
        if (step?.kind !== "tcp") return noResult(monitor);
        const timeoutMs = durationMs(monitor.check.timeout);
        // A timeout takes the check's whole timeout unless the step says how long.
        let elapsed = 0;
        const took = step.error === "timeout" && step.latencyMs === 0 ? timeoutMs : step.latencyMs;
        return runCheck(monitor, {
          ...ctx,
          stopwatch: () => elapsed,
          tcpConnect: async (): Promise<TcpAttempt> => {
            elapsed += took;
            if (step.connected) return { kind: "connected" };
            return step.error === "timeout" ? { kind: "timeout" } : { kind: "failed", code: step.error ?? "ECONNREFUSED" };
          },
        });
      }
      case "script": {
        if (step?.kind !== "script") return noResult(monitor);
        const code: MonitorCode = { ...ctx.code, run: async () => step.outcome as never };
        return runCheck(monitor, { ...ctx, code });
      }
      case "heartbeat":
      case "webhook":
      case "manual":
        return runCheck(monitor, ctx);
    }
  };
}

const RCODE_ERRORS: Record<DnsRcode, string> = { NXDOMAIN: "ENOTFOUND", NODATA: "ENODATA", SERVFAIL: "ESERVFAIL", REFUSED: "EREFUSED", TIMEOUT: "ETIMEOUT" };

/** The DNS check with its queries answered from the step; an rcode means what the resolver's error code means to the runtime. */
async function throughDnsAnswers(monitor: MonitorSpec, ctx: CheckContext, step: Extract<StepAction, { kind: "dnsReply" }>): Promise<CheckOutcome> {
  let elapsed = 0;
  const dnsQuery: DnsQuery = async (server, name, type) => {
    elapsed = Math.max(elapsed, step.latencyMs);
    const answer = (server !== null ? step.nameservers[server] : undefined) ?? step.reply;
    if ("answers" in answer) return { kind: "answers", answers: answer.answers.map((text) => answerFromText(type, text)) };
    return replyForError(RCODE_ERRORS[answer.rcode], server ?? "the system resolver", name, type);
  };
  return runCheck(monitor, { ...ctx, stopwatch: () => elapsed, dnsQuery });
}

async function throughMockAgent(monitor: MonitorSpec, ctx: CheckContext, step: StepAction): Promise<CheckOutcome> {
  const agent = new MockAgent();
  agent.disableNetConnect();
  let elapsed = 0;
  const answer = answerOf(step);
  if (!answer) return noResult(monitor);
  agent
    .get(() => true)
    .intercept({ path: () => true, method: () => true })
    .reply(() => {
      elapsed += answer.latencyMs;
      return { statusCode: answer.status, data: answer.body, responseOptions: { headers: answer.headers } };
    })
    .persist();
  const expires = step.kind === "http" && step.answer.certificateExpires ? new Date(step.answer.certificateExpires) : null;
  try {
    return await runCheck(monitor, {
      ...ctx,
      dispatcher: agent,
      stopwatch: () => elapsed,
      peerCertificate: async () => (expires ? { subject: "simulated", issuer: "simulated", validTo: expires } : null),
    });
  } finally {
    await agent.close();
  }
}

function answerOf(step: StepAction): { status: number; body: string; headers: Record<string, string>; latencyMs: number } | null {
  if (step.kind === "http") {
    const a = step.answer;
    const isText = typeof a.body === "string";
    const headers = { ...(isText || a.body === undefined ? {} : { "content-type": "application/json" }), ...a.headers };
    return { status: a.status, body: a.body === undefined ? "" : isText ? (a.body as string) : JSON.stringify(a.body), headers, latencyMs: a.latency ? durationMs(a.latency) : 0 };
  }
  if (step.kind === "series") {
    const result = step.series.map((s) => ({ metric: s.labels, value: [0, formatSample(s.value)] }));
    return { status: 200, body: JSON.stringify({ status: "success", data: { resultType: "vector", result } }), headers: { "content-type": "application/json" }, latencyMs: 0 };
  }
  return null;
}

/** As Prometheus writes a sample (Go's FormatFloat): the specials spelled out. */
function formatSample(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function results(r: { ok: boolean; value: number | null; message: string; details: Record<string, unknown> }, durationMs: number): CheckOutcome {
  return { kind: "results", results: [{ ...r, labels: {}, durationMs }] };
}

/** A tick before the monitor's first result step: the runner never schedules one (see simulate.ts). */
function noResult(monitor: MonitorSpec): CheckOutcome {
  return { kind: "error", error: `the test gives ${monitor.id} no result at this time`, reason: "config", durationMs: 0 };
}
