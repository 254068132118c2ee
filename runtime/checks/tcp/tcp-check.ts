import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { CheckError } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { formatMs } from "../shared/deadline.js";

/**
 * TCP check: opens a connection and closes it. value = connect time in ms. Accepting connections is
 * the whole expectation, so a refused or silent port is `ok: false` (not an error): that is the
 * answer the check exists to give. A resolver that did not answer for the host throws (the port was
 * never tried), and so does a runtime cancellation.
 */
export async function runTcpCheck(spec: CheckSpecOf<"tcp">, ctx: CheckContext): Promise<CheckResult[]> {
  const timeoutMs = durationMs(spec.timeout);
  const target = `${spec.host}:${spec.port}`;
  const stopwatch = ctx.stopwatch ?? (() => performance.now());
  const started = stopwatch();
  const outcome = await (ctx.tcpConnect ?? attempt)(spec.host, spec.port, timeoutMs, ctx.signal);
  const elapsed = Math.round((stopwatch() - started) * 10) / 10;
  // The resolver did not answer for the host (getaddrinfo's "try again": its timeout or SERVFAIL):
  // the port was never tried, so this says nothing about it, and `onError` decides, as for http.
  if (outcome.kind === "failed" && outcome.code === "EAI_AGAIN") {
    throw new CheckError("unreachable", `host ${spec.host} does not resolve for now (EAI_AGAIN): the port was not tried`);
  }
  if (outcome.kind === "connected") {
    return [{ ok: true, value: elapsed, message: `connected to ${target} in ${Math.round(elapsed)}ms`, labels: {}, details: { target, connectMs: elapsed }, durationMs: elapsed }];
  }
  const message =
    outcome.kind === "timeout" ? `no connection to ${target} within ${formatMs(timeoutMs)}` : `cannot connect to ${target}: ${outcome.code}`;
  return [{ ok: false, value: null, message, labels: {}, details: { target, error: outcome.kind === "timeout" ? "timeout" : outcome.code }, durationMs: elapsed }];
}

/** How a connection attempt ended: the error code is the socket's (`ECONNREFUSED`, `EHOSTUNREACH`, ...). */
export type TcpAttempt = { kind: "connected" } | { kind: "timeout" } | { kind: "failed"; code: string };
type Attempt = TcpAttempt;

/** How a TCP check connects; a real socket unless a simulation stands in. */
export type TcpConnect = (host: string, port: number, timeoutMs: number, signal: AbortSignal) => Promise<TcpAttempt>;

function attempt(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const settle = (result: Attempt | CheckError): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (result instanceof CheckError) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => settle({ kind: "timeout" }), timeoutMs);
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      // The runtime's own deadline is a timeout answer; a shutdown is a cancellation.
      if (reason instanceof CheckError && reason.reason === "timeout") settle({ kind: "timeout" });
      else settle(new CheckError("aborted", "the check was cancelled"));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => settle({ kind: "connected" }));
    socket.once("error", (error: NodeJS.ErrnoException) => settle({ kind: "failed", code: error.code ?? error.message }));
  });
}
