import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { rateLimitKey } from "../inbound/rate-limit.js";
import { LimitedWarnings } from "../limited-warnings.js";

/** A snapshot of what pages show: per key (monitor id, or `status:<page>`), a fingerprint string. */
export type Snapshot = Map<string, string>;

/** One key whose fingerprint changed, with the one the hub held before. */
interface Change {
  id: string;
  value: string;
  before: string | undefined;
}

/** Monitor ids a change touched; null: anything may have changed. */
export type Touched = string[] | null;

export interface EventHubOptions {
  /**
   * Reads the current snapshot (monitor states for the team, customer states for public pages):
   * of everything (`null`), or only the keys that the given monitors decide.
   */
  snapshot(monitors: Touched): Promise<Snapshot>;
  /**
   * The store's change feed: calls back after each commit with the monitors it touched. With it
   * the hub reads only what changed; without it (a store with no feed) it compares everything
   * every `pollMs`.
   */
  watch?: (onChange: (monitors: Touched) => void) => Promise<() => void>;
  /** With a feed: how long changes gather before one read (default 250 ms). */
  batchMs?: number;
  logger: Logger;
  /** Team streams open at once; past it, new ones get 503 (default 100). */
  maxClients?: number;
  /** Public status page streams open at once, counted apart so visitors cannot crowd the team out (default 100). */
  maxPublicClients?: number;
  /**
   * Streams one address may hold once half of its kind's slots are taken (default 10). Below half
   * an address takes what it asks for (visitors behind one proxy share an address); past it, one
   * address can never hold more than half, so one client cannot take every slot.
   */
  maxPerAddress?: number;
  /** Without a feed: how often the state is compared while someone listens (default 2 s). */
  pollMs?: number;
  /** Comment lines that keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** Bytes a stream may have waiting for its reader before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * What a team stream says about one changed key (default: its id and the state, the
   * fingerprint's first `|` field). `before` is the fingerprint the hub held, if any.
   */
  describe?: (id: string, value: string, before: string | undefined) => Record<string, string>;
}

interface Client {
  res: ServerResponse;
  /** The address the stream is counted against (an IPv6 /64 as one). */
  address: string;
  /** Only keys with this prefix matter to the client (`status:<id>` for a public page); null: monitors. */
  scope: string | null;
  /** Whether the credentials the stream was opened with still hold; absent for a stream anyone may read. */
  allowed?: () => boolean;
}

/**
 * `/events`: server-sent events telling open pages that something they show changed. While a
 * page listens the hub follows the store's change feed (every replica's commits, webhooks'
 * included): it gathers the monitors touched for `batchMs`, reads just those and tells each page
 * what changed, so its cost follows the changes, not the monitor count. A store without a feed
 * is compared whole every `pollMs`. Nobody listening costs nothing; the feed's callback only
 * notes ids, so a commit is never slowed. Timers are unref'd, and close() ends every stream so
 * shutdown is not held up.
 */
export class EventHub {
  private readonly clients = new Set<Client>();
  private last: Snapshot | null = null;
  private poller: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = false;
  /** Monitors touched since the last read (null: everything); undefined while nothing is waiting. */
  private dirty: Set<string> | null | undefined = undefined;
  private batch: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  /** Bumped whenever the feed is let go, so a subscription that answers late is dropped. */
  private generation = 0;
  private readonly maxClients: number;
  private readonly maxPublicClients: number;
  private version = 0;

  private readonly warnings: LimitedWarnings;

  constructor(private readonly o: EventHubOptions) {
    this.warnings = new LimitedWarnings(o.logger, Date.now);
    this.maxClients = o.maxClients ?? 100;
    this.maxPublicClients = o.maxPublicClients ?? 100;
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Opens a stream for this request; `scope` null for the team's pages, `status:<id>` for a public
   * page. `address` is the client's (as the rate limits key it), the socket's when not given.
   * `allowed` is asked before every message and heartbeat: a stream whose reader no longer may
   * read it (the token rotated, the session expired) is ended, within a heartbeat.
   */
  open(req: IncomingMessage, res: ServerResponse, scope: string | null, address = rateLimitKey(req.socket?.remoteAddress ?? ""), allowed?: () => boolean): void {
    const kind = [...this.clients].filter((c) => (c.scope === null) === (scope === null));
    const max = scope === null ? this.maxClients : this.maxPublicClients;
    const mine = kind.filter((c) => c.address === address).length;
    const crowded = kind.length >= max / 2 && mine >= (this.o.maxPerAddress ?? 10);
    if (this.closed || kind.length >= max || crowded) {
      if (crowded) this.warnings.warn("events-per-address", { address, open: mine }, "a live view stream was refused: its address holds as many as one address may while the slots are half taken");
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
    // A HEAD gets what a GET would, headers only: node sends them only with the end, and a stream
    // kept for it would never answer, and would hold a slot until its connection went idle.
    if (req.method === "HEAD") return void res.end();
    // A reconnecting browser waits this long; the first comment flushes the headers through proxies.
    res.write("retry: 3000\n: connected\n\n");
    const client: Client = { res, scope, address, ...(allowed ? { allowed } : {}) };
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

  /**
   * The fingerprints the hub holds (every monitor's, and every status page's), with a version
   * that changes whenever they do; null while nobody listens or before the first read.
   */
  current(): { version: number; snapshot: ReadonlyMap<string, string> } | null {
    return this.last === null ? null : { version: this.version, snapshot: this.last };
  }

  /** Compares the state now with the last one and tells each client what changed in its scope. */
  async poll(): Promise<void> {
    return this.compare(null);
  }

  /** Reads the keys the touched monitors decide (all of them for null), and tells clients what differs. */
  private async compare(touched: Touched): Promise<void> {
    if (this.polling || this.clients.size === 0) return;
    this.polling = true;
    try {
      // Without a baseline yet, a part cannot be compared: read it all.
      if (this.last === null) touched = null;
      const next = await this.o.snapshot(touched);
      const before = this.last;
      if (before === null) {
        this.last = next;
        return;
      }
      const changed: Change[] = [];
      for (const [key, value] of next) if (before.get(key) !== value) changed.push({ id: key, value, before: before.get(key) });
      if (touched === null) {
        for (const key of before.keys()) if (!next.has(key)) changed.push({ id: key, value: "", before: before.get(key) });
        this.last = next;
      } else {
        for (const [key, value] of next) before.set(key, value);
      }
      if (changed.length > 0) this.version++;
      // A whole comparison (a silence began or ended, or a store without a feed) may change more than
      // rows (the silences listed): pages refresh whole.
      this.tell(changed, touched === null);
    } catch (error) {
      this.o.logger.warn({ err: error }, "live view update failed; trying again");
    } finally {
      this.polling = false;
    }
  }

  private tell(changed: Change[], full: boolean): void {
    if (changed.length === 0) return;
    const describe = this.o.describe ?? ((id: string, value: string) => ({ id, state: value.split("|")[0]! }));
    let team: string | null = null;
    for (const c of this.clients) {
      const mine = c.scope === null ? changed.filter((x) => !x.id.startsWith("status:")) : changed.filter((x) => x.id === c.scope);
      if (mine.length === 0) continue;
      // Public streams learn only that their page changed, never what or which monitor.
      if (c.scope === null) {
        team ??= JSON.stringify({ changed: mine.map((x) => describe(x.id, x.value, x.before)), ...(full ? { full: true } : {}) });
        this.send(c, `event: change\ndata: ${team}\n\n`);
        continue;
      }
      const data = { changed: [] };
      this.send(c, `event: change\ndata: ${JSON.stringify(data)}\n\n`);
    }
  }

  /**
   * Writes to one stream, unless its reader has fallen behind: a page that stops reading (a laptop
   * asleep, a hostile client) would otherwise have every later message held for it in memory. The
   * stream is cut; a browser reconnects after `retry` and its page catches up on the next change.
   */
  private send(c: Client, text: string): void {
    if (c.res.destroyed) return;
    // Checked when the stream opened, and again now: held open, it would outlive a rotated token.
    if (c.allowed && !c.allowed()) {
      this.clients.delete(c);
      c.res.end();
      return;
    }
    if (c.res.writableLength > (this.o.maxBufferedBytes ?? 1024 * 1024)) {
      this.o.logger.info({ buffered: c.res.writableLength }, "live view stream dropped: its reader fell behind");
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }

  /** The feed's callback: note what was touched; one read follows after `batchMs`. */
  private touched(monitors: Touched): void {
    if (this.clients.size === 0) return;
    if (monitors === null) this.dirty = null;
    else if (this.dirty !== null) {
      this.dirty ??= new Set();
      for (const m of monitors) this.dirty.add(m);
    }
    if (this.batch) return;
    this.batch = setTimeout(() => void this.flush(), this.o.batchMs ?? 250);
    this.batch.unref();
  }

  private async flush(): Promise<void> {
    this.batch = null;
    if (this.polling) {
      // A read is under way: go again once it is done, with everything gathered meanwhile.
      this.batch = setTimeout(() => void this.flush(), this.o.batchMs ?? 250);
      this.batch.unref();
      return;
    }
    const dirty = this.dirty;
    this.dirty = undefined;
    if (dirty === undefined) return;
    await this.compare(dirty === null ? null : [...dirty]);
  }

  private startTimers(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) this.send(c, ": heartbeat\n\n");
    }, this.o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    if (this.o.watch) {
      const watch = this.o.watch;
      const generation = this.generation;
      // The baseline is read once the feed is on, so no change falls between the two.
      void watch((m) => this.touched(m)).then(
        (stop) => {
          if (generation !== this.generation) return stop();
          this.unwatch = stop;
          return this.poll();
        },
        (error: unknown) => {
          // Without the feed (Redis refused the subscription) the pages still update: by comparing.
          this.o.logger.warn({ err: error }, "live view updates cannot follow the store's changes; comparing every few seconds instead");
          if (generation === this.generation) this.startPolling();
        },
      );
      return;
    }
    this.startPolling();
  }

  private startPolling(): void {
    this.poller = setInterval(() => void this.poll(), this.o.pollMs ?? 2_000);
    this.poller.unref();
    void this.poll();
  }

  private stopTimers(): void {
    if (this.poller) clearInterval(this.poller);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.batch) clearTimeout(this.batch);
    this.unwatch?.();
    this.unwatch = null;
    this.generation++;
    this.poller = null;
    this.heartbeat = null;
    this.batch = null;
    this.dirty = undefined;
    this.last = null;
  }
}
