import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const TEST_REDIS_URL = process.env["WK_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0";

export async function redisAnswers(url: string = TEST_REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export function testPrefix(): string {
  return `wk-test-${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under the prefix (SCAN + DEL). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** A loopback target that counts hits per monitor and tick time: `/hit?m=ID&t=MILLIS&loc=LOCATION`. */
export class TickTarget {
  readonly hits = new Map<string, Map<number, number>>();
  readonly arrivals = new Map<string, number[]>();
  /** Monitors (optionally `id@location`) answering 500. */
  readonly failing = new Set<string>();
  /** Monitors (optionally `id@location`) answering only after this many ms. */
  readonly slow = new Map<string, number>();
  /** Checks asked and not yet answered, by the pid of the replica that asked. */
  readonly inFlight = new Map<number, number>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const m = url.searchParams.get("m") ?? "";
      const t = Number(url.searchParams.get("t"));
      const loc = url.searchParams.get("loc") ?? "";
      const byTick = this.hits.get(m) ?? this.hits.set(m, new Map()).get(m)!;
      byTick.set(t, (byTick.get(t) ?? 0) + 1);
      if (loc) {
        const atLocation = this.hits.get(`${m}@${loc}`) ?? this.hits.set(`${m}@${loc}`, new Map()).get(`${m}@${loc}`)!;
        atLocation.set(t, (atLocation.get(t) ?? 0) + 1);
      }
      (this.arrivals.get(m) ?? this.arrivals.set(m, []).get(m)!).push(Date.now());
      const fail = this.failing.has(m) || this.failing.has(`${m}@${loc}`);
      const pid = Number(url.searchParams.get("pid"));
      this.inFlight.set(pid, (this.inFlight.get(pid) ?? 0) + 1);
      const answer = () => {
        this.inFlight.set(pid, (this.inFlight.get(pid) ?? 1) - 1);
        res.writeHead(fail ? 500 : 200).end(fail ? "broken" : "ok");
      };
      const delay = this.slow.get(m) ?? this.slow.get(`${m}@${loc}`) ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** monitors.mjs for script checks that report each tick (and the replica's location) to the target. */
export function hitBundle(ids: string[], port: number): string {
  const entries = ids.map(
    (id) =>
      `  ${JSON.stringify(id)}: { run: async (ctx) => { const r = await fetch(\`http://127.0.0.1:${port}/hit?m=${id}&t=\${ctx.now.getTime()}&loc=\${process.env.WK_CHILD_LOCATION ?? ""}&pid=\${process.pid}\`, { signal: ctx.signal }); await r.text(); return { ok: r.ok, message: r.ok ? "ok" : \`status \${r.status} from \${process.env.WK_CHILD_LOCATION ?? "local"}\` }; } },`,
  );
  return `export default {\n${entries.join("\n")}\n};\n`;
}

/** A script check whose run hits the tick target (hitBundle): the monitor spec's check and code parts. */
export const scriptCheck = { check: { kind: "script", timeout: "2s" } as const, code: { condition: false, summary: false, run: true, extract: false } };
