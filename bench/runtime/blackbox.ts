import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { Pool } from "undici";
import { pinned } from "./fleet.js";

/** A free loopback port (bound, then released for the exporter to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the Prometheus blackbox exporter with one http_2xx module (on `cpus` when given); WK_BLACKBOX_BIN overrides the binary. */
export async function startBlackbox(dir: string, cpus: string | null = null): Promise<{ proc: ChildProcess; url: string }> {
  const config = join(dir, "blackbox.yml");
  await writeFile(config, "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n");
  const port = await freePort();
  const bin = process.env.WK_BLACKBOX_BIN ?? "prometheus-blackbox-exporter";
  const [cmd, args] = pinned(cpus, bin, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"]);
  const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`${bin} exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/-/healthy`)).ok) return { proc, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${bin} did not become healthy`);
}

/** Drives /probe at a fixed rate, the way Prometheus would scrape one target per monitor. */
export function driveProbes(exporterUrl: string, target: string, perSecond: number) {
  const pool = new Pool(exporterUrl, { connections: 128, pipelining: 1 });
  const stats = { sent: 0, ok: 0, failed: 0 };
  const path = `/probe?module=http_2xx&target=${encodeURIComponent(target)}`;
  const started = Date.now();
  // Paced by elapsed time, so a late timer catches up instead of lowering the rate.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
    while (stats.sent < due) {
      stats.sent++;
      pool
        .request({ method: "GET", path })
        .then(async (res) => {
          const body = await res.body.text();
          if (res.statusCode === 200 && body.includes("probe_success 1")) stats.ok++;
          else stats.failed++;
        })
        .catch(() => stats.failed++);
    }
  }, 10);
  return {
    stats,
    async stop() {
      clearInterval(timer);
      await pool.close();
    },
  };
}
