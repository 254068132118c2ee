import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import type { DiagnosticSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { CheckError } from "../checks/check-error.js";
import { deadline, formatMs } from "../checks/shared/deadline.js";
import { redactUrl, sendRequest } from "../checks/shared/http-request.js";
import type { DiagnosticContext, DiagnosticSection } from "./section.js";

interface Probe {
  url: string;
  status: number | null;
  latencyMs: number | null;
  error: string | null;
}

/** GETs every URL at once, each bounded by the timeout; prints status and latency per URL. Never throws. */
export async function httpSweep(
  spec: Extract<DiagnosticSpec, { kind: "httpSweep" }>,
  ctx: DiagnosticContext & { dispatcher?: Dispatcher },
): Promise<DiagnosticSection> {
  const timeoutMs = durationMs(spec.timeout);
  const probes = await Promise.all(spec.urls.map((url) => probe(url, timeoutMs, ctx)));
  const healthy = (p: Probe): boolean => p.status !== null && p.status < 400;
  const width = Math.max(0, ...probes.map((p) => p.url.length));
  const lines = probes.map((p) =>
    p.status !== null
      ? `${p.url.padEnd(width)}  ${p.status}  ${Math.round(p.latencyMs ?? 0)}ms`
      : `${p.url.padEnd(width)}  ERR  ${p.error}`,
  );
  const failing = probes.filter((p) => !healthy(p)).length;
  return {
    kind: "httpSweep",
    title: `HTTP sweep: ${probes.length - failing}/${probes.length} healthy (timeout ${formatMs(timeoutMs)})`,
    ok: failing === 0,
    lines,
    data: { probes },
  };
}

async function probe(rawUrl: string, timeoutMs: number, ctx: DiagnosticContext & { dispatcher?: Dispatcher }): Promise<Probe> {
  const url = redactUrl(rawUrl);
  const limit = deadline(ctx.signal, timeoutMs, `GET ${url}`);
  const started = performance.now();
  try {
    const res = await sendRequest({ url: rawUrl, method: "GET", headers: {}, body: null, followRedirects: true, signal: limit.signal, dispatcher: ctx.dispatcher }, false);
    return { url, status: res.status, latencyMs: Math.round((performance.now() - started) * 10) / 10, error: null };
  } catch (error) {
    const message = error instanceof CheckError ? `${error.reason}: ${error.message}` : String(error);
    return { url, status: null, latencyMs: null, error: message };
  } finally {
    limit.dispose();
  }
}
