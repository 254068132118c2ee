import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { SqliteStore } from "../../../runtime/store/sqlite/sqlite-store.js";
import type { ResultRow } from "../../../runtime/evaluate/evaluation-store.js";
import { ROOT } from "../../delivery/support/process.js";

/** Where screenshots go: an ignored folder (docs/screenshots/ holds the committed set). */
export const ARTIFACTS = join(ROOT, ".artifacts", "views");

/** A loopback target: `/api` answers 500 while `failing`, everything else 200. */
export class Target {
  failing = false;
  private server: Server | null = null;
  url = "";

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith("/api") && this.failing) {
        res.writeHead(500, { "content-type": "text/plain" });
        return void res.end("internal error at db-7.internal.acme.net");
      }
      res.end("ok");
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Compiles a project with the built CLI (`wk compile --project`). */
export async function compile(projectDir: string): Promise<void> {
  await promisify(execFile)(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "compile", "--project", projectDir], { cwd: projectDir, timeout: 120_000 });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Seeds the real store with `days` of hourly results before the runtime starts, through the
 * store's own write path (recordEvaluation), as if the runtime had been running all along:
 * `failingHours(dayAgo, hour)` says which results failed.
 */
export function seedHistory(stateDir: string, now: number, monitors: string[], days: number, failing: (monitorId: string, dayAgo: number, hour: number) => boolean): void {
  const store = SqliteStore.open(stateDir, now);
  try {
    const start = Math.floor(now / DAY) * DAY - days * DAY;
    for (const monitorId of monitors) {
      for (let t = start; t < now - HOUR; t += HOUR) {
        // Calendar days (UTC) back from today, as the history bars count them, whatever the time of day.
        const dayAgo = Math.floor(now / DAY) - Math.floor(t / DAY);
        const fails = failing(monitorId, dayAgo, new Date(t).getUTCHours());
        const result: ResultRow = { monitorId, at: t, ok: !fails, firing: fails, value: 40 + (t / HOUR) % 7, message: fails ? "expected status 2xx, got 500" : "200 in 40ms", labels: {}, durationMs: 40 + ((t / HOUR) % 7) * 5, error: null };
        store.recordEvaluation({ monitorId, results: [result], alerts: [], readVersions: {}, intents: [], at: t });
      }
    }
  } finally {
    store.close();
  }
}

/** Debian's Chromium, headless (DESIGN.md: Chromium comes from Debian's packages). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
