import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeTcpPort } from "./free-port.js";
import { GiveUp, stopProcess, waitUntil } from "./process.js";

/** A real Prometheus server started for a test, on loopback, with a throwaway config and TSDB. */
export interface PrometheusServer {
  url: string;
  /** Runs an instant query through the HTTP API (test-side, to wait for data). */
  query(promql: string): Promise<unknown[]>;
  /** Waits until `promql` returns at least `minSeries` series. */
  waitForSeries(promql: string, minSeries?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` targets scraped under job "exporter". */
  targets: string[];
  scrapeInterval?: string;
  /** A rule file's YAML (`groups: ...`), loaded as the server's only rule file. */
  rules?: string;
}

/** The Prometheus binary: WK_PROMETHEUS_BIN, or `prometheus` on PATH. */
export function prometheusBinary(): string {
  return process.env.WK_PROMETHEUS_BIN ?? "prometheus";
}

/** Starts Prometheus scraping `targets`; resolves once its API is ready. Always call stop(). */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), "wk-prometheus-"));
  const interval = options.scrapeInterval ?? "1s";
  const config = [
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(options.rules === undefined ? [] : ["rule_files:", `  - ${JSON.stringify(join(dir, "rules.yml"))}`]),
    "scrape_configs:",
    "  - job_name: exporter",
    "    static_configs:",
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  if (options.rules !== undefined) await writeFile(join(dir, "rules.yml"), options.rules);
  let child: ChildProcess | null = null;
  let output = "";
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freeTcpPort();
      const url = `http://127.0.0.1:${port}`;
      output = "";
      child = spawn(
        prometheusBinary(),
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
      const running = child;
      try {
        await waitUntil(async () => {
          if (running.exitCode !== null) throw new GiveUp(`prometheus exited: ${output}`);
          return (await fetch(`${url}/-/ready`)).ok;
        }, "prometheus to be ready", 30_000);
      } catch (error) {
        await stopProcess(running);
        if (attempt === 2) throw error;
        continue;
      }
      return handle(url, running, dir);
    }
    throw new Error("prometheus did not start");
  } catch (error) {
    if (child) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function handle(url: string, child: ChildProcess, dir: string): PrometheusServer {
  const query = async (promql: string): Promise<unknown[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { data?: { result?: unknown[] } };
    return body.data?.result ?? [];
  };
  return {
    url,
    query,
    waitForSeries: (promql, minSeries = 1, timeoutMs = 30_000) =>
      waitUntil(async () => (await query(promql)).length >= minSeries, `${promql} to return ${minSeries} series`, timeoutMs, 250),
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
