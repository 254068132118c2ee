import { createServer, type Server } from "node:http";
import BetterSqlite3 from "better-sqlite3";
import type { MonitorSpec } from "../../../sdk/manifest/schema.js";
import { testMonitor } from "../../delivery/support/manifest.js";
import { PagerDutyServer } from "../../support/vendors/index.js";
import type { RecordedRequest, VendorAnswer } from "../../support/vendors/recording-server.js";

/** A small seeded PRNG (mulberry32): the same seed replays the same kills and flips. */
export function seeded(seed: number): { next(): number; between(lo: number, hi: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => Math.floor(lo + next() * (hi - lo)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** One answer the target gave: which path, when, and whether it was healthy. */
export interface Hit {
  path: string;
  at: number;
  up: boolean;
}

/** A loopback target whose health per path the test flips, keeping every answer it gave. */
export class FlippingTarget {
  readonly hits: Hit[] = [];
  private readonly down = new Set<string>();
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const up = !this.down.has(path);
      this.hits.push({ path, at: Date.now(), up });
      res.writeHead(up ? 200 : 500).end(up ? "ok" : "broken");
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  set(path: string, up: boolean): void {
    if (up) this.down.delete(path);
    else this.down.add(path);
  }

  isUp(path: string): boolean {
    return !this.down.has(path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * The recording PagerDuty with a hook that runs as an event arrives, before it is answered: a
 * test kills the runtime there (the vendor acted, the runtime never hears) or a moment later
 * (the answer is on the wire while the runtime records it).
 */
export class ChaosPagerDuty extends PagerDutyServer {
  onArrive: ((req: RecordedRequest) => void) | null = null;
  private readonly answered = new WeakMap<RecordedRequest, number>();

  constructor(options: ConstructorParameters<typeof PagerDutyServer>[0] = {}) {
    super(options);
    this.onRecord = (req) => void this.answered.set(req, Date.now());
  }

  /** When the answer to a request was written (a slow answer: after its delay). */
  answeredAt(req: RecordedRequest): number {
    return this.answered.get(req) ?? req.at;
  }

  protected override answer(req: RecordedRequest): VendorAnswer {
    this.onArrive?.(req);
    return super.answer(req);
  }
}

/** Reads the runtime's state database (read-only, while the runtime is down or alive). */
export function readState<T>(dbPath: string, sql: string): T[] {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** An HTTP monitor of the chaos fleet: every second against `url`, paging the service `shop`. */
export function httpMonitor(id: string, url: string, extra: Partial<MonitorSpec> = {}): MonitorSpec {
  const base = testMonitor(id);
  return testMonitor(id, {
    schedule: { kind: "every", every: "1s" },
    check: { ...(base.check as Extract<MonitorSpec["check"], { kind: "http" }>), url, timeout: "1s", followRedirects: false },
    service: "shop",
    summary: `${id} health check failing`,
    ...extra,
  });
}
