import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";

/** A snapshot of what pages show: per key (monitor id, or `status:<page>`), a fingerprint string. */
export type Snapshot = Map<string, string>;

export interface EventHubOptions {
  /** Reads the current snapshot (monitor states for the team, customer states for public pages). */
  snapshot(): Promise<Snapshot>;
  logger: Logger;
  /** Team streams open at once; past it, new ones get 503 (default 100). */
  maxClients?: number;
  /** Public status page streams open at once, counted apart so visitors cannot crowd the team out (default 100). */
  maxPublicClients?: number;
  /** How often the state is compared while someone listens (default 2 s). */
  pollMs?: number;
  /** Comment lines that keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
}

interface Client {
  res: ServerResponse;
  /** Only keys with this prefix matter to the client (`status:<id>` for a public page); null: monitors. */
  scope: string | null;
}

/**
 * `/events`: server-sent events telling open pages that something they show changed. The hub
 * compares snapshots of the store rather than hooking into the evaluation path: it sees changes
 * made by other replicas and by webhooks alike, costs nothing while nobody listens, and never
 * slows a tick. Its timers are unref'd, and close() ends every stream so shutdown is not held up.
 */
export class EventHub {
  private readonly clients = new Set<Client>();
  private last: Snapshot | null = null;
  private poller: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = false;
  private readonly maxClients: number;
  private readonly maxPublicClients: number;

  constructor(private readonly o: EventHubOptions) {
    this.maxClients = o.maxClients ?? 100;
    this.maxPublicClients = o.maxPublicClients ?? 100;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Opens a stream for this request; `scope` null for the team's pages, `status:<id>` for a public page. */
  open(req: IncomingMessage, res: ServerResponse, scope: string | null): void {
    const open = [...this.clients].filter((c) => (c.scope === null) === (scope === null)).length;
    if (this.closed || open >= (scope === null ? this.maxClients : this.maxPublicClients)) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "30" });
      res.end("too many open event streams\n");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    // A reconnecting browser waits this long; the first comment flushes the headers through proxies.
    res.write("retry: 3000\n: connected\n\n");
    const client: Client = { res, scope };
    this.clients.add(client);
    const drop = () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopTimers();
    };
    req.on("close", drop);
    res.on("close", drop);
    res.on("error", drop);
    this.startTimers();
  }

  /** Ends every stream and stops the timers; later requests get 503. */
  close(): void {
    this.closed = true;
    this.stopTimers();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  /** Compares the state now with the last one and tells each client what changed in its scope. */
  async poll(): Promise<void> {
    if (this.polling || this.clients.size === 0) return;
    this.polling = true;
    try {
      const next = await this.o.snapshot();
      const before = this.last;
      this.last = next;
      if (before === null) return;
      const changed: Array<{ id: string; value: string }> = [];
      for (const [key, value] of next) if (before.get(key) !== value) changed.push({ id: key, value });
      for (const key of before.keys()) if (!next.has(key)) changed.push({ id: key, value: "" });
      if (changed.length === 0) return;
      for (const c of this.clients) {
        const mine = c.scope === null ? changed.filter((x) => !x.id.startsWith("status:")) : changed.filter((x) => x.id === c.scope);
        if (mine.length === 0) continue;
        // Public streams learn only that their page changed, never what or which monitor.
        const data = c.scope === null ? { changed: mine.map((x) => ({ id: x.id, state: x.value.split("|")[0] })) } : { changed: [] };
        c.res.write(`event: change\ndata: ${JSON.stringify(data)}\n\n`);
      }
    } catch (error) {
      this.o.logger.warn({ err: error }, "live view update failed; trying again");
    } finally {
      this.polling = false;
    }
  }

  private startTimers(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.o.pollMs ?? 2_000);
    this.poller.unref();
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(": heartbeat\n\n");
    }, this.o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    void this.poll();
  }

  private stopTimers(): void {
    if (this.poller) clearInterval(this.poller);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.poller = null;
    this.heartbeat = null;
    this.last = null;
  }
}
