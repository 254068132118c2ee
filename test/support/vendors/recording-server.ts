import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** One request a recording server received, with what it answered. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Size of the body on the wire, in bytes. */
  bytes: number;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  /** When the request arrived (ms since the epoch). */
  at: number;
  /** The status the server answered. */
  status: number;
  /** Why the vendor refused it (schema findings, limits, auth), empty when accepted. */
  problems: string[];
}

/** What a vendor answers. */
export interface VendorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Why the request was refused, recorded with it so a failing test can say so. */
  problems?: string[];
}

/** A fault to inject instead of the normal answer. */
export interface Fault {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow vendor). */
  delayMs?: number;
}

interface ActiveFault {
  fault: Fault;
  remaining: number | null;
  until: number | null;
}

/**
 * A vendor stand-in on loopback (port 0): validates requests (subclasses), records them, and can
 * be told to answer 429/5xx or to be slow for a number of requests or for a while.
 */
export abstract class RecordingServer {
  readonly received: RecordedRequest[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private faults: ActiveFault[] = [];
  url = "";
  /** Called with every request after it is answered (`wk dev` prints them). */
  onRecord: ((req: RecordedRequest) => void) | null = null;

  /** Answers a valid or invalid request the way the vendor does. */
  protected abstract answer(req: RecordedRequest): VendorAnswer;

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("recording server has no port");
    this.url = `http://${host}:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the next `count` requests with this fault. */
  failNext(count: number, fault: Fault): void {
    this.faults.push({ fault, remaining: count, until: null });
  }

  /** Answers every request with this fault for `ms` milliseconds. */
  failFor(ms: number, fault: Fault): void {
    this.faults.push({ fault, remaining: null, until: Date.now() + ms });
  }

  /** Back to normal answers. */
  heal(): void {
    this.faults = [];
  }

  /** Requests answered with a 2xx. */
  accepted(): RecordedRequest[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Requests the vendor refused, with the reasons: what a failing test should print. */
  rejections(): string[] {
    return this.received.filter((r) => r.problems.length > 0).map(describeRequest);
  }

  /** Resolves once `predicate` holds for the received requests; rejects after `timeoutMs`. */
  async waitFor(predicate: (received: RecordedRequest[]) => boolean, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; received ${this.received.length} requests: ${this.received.map(describeRequest).join(", ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.received;
  }

  private currentFault(now: number): Fault | null {
    this.faults = this.faults.filter((f) => (f.remaining === null || f.remaining > 0) && (f.until === null || now < f.until));
    const active = this.faults[0];
    if (!active) return null;
    if (active.remaining !== null) active.remaining--;
    return active.fault;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = raw.toString("utf8");
    const url = new URL(req.url ?? "/", "http://localhost");
    let json: unknown;
    try {
      json = body === "" ? undefined : (JSON.parse(body) as unknown);
    } catch {
      json = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      bytes: raw.length,
      json,
      at: Date.now(),
      status: 0,
      problems: [],
    };
    const fault = this.currentFault(recorded.at);
    const answer: VendorAnswer = fault ? { status: fault.status, body: fault.body ?? "", headers: fault.headers ?? {} } : this.answer(recorded);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    recorded.status = answer.status;
    recorded.problems = fault ? [`injected fault: ${fault.status}`] : (answer.problems ?? []);
    this.received.push(recorded);
    this.onRecord?.(recorded);
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === "string" ? "text/plain; charset=utf-8" : "application/json";
    if (res.destroyed) return;
    res.writeHead(answer.status, { "content-type": type, ...answer.headers });
    res.end(text);
  }
}

/** Sliding one-minute counters per key, for vendor rate limits. */
export class MinuteWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Counts a request; false when the key is over its limit. */
  allow(key: string, now: number): boolean {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    return true;
  }
}

function describeRequest(r: RecordedRequest): string {
  return `${r.method} ${r.path} ${r.status}${r.problems.length > 0 ? ` (${r.problems.join("; ")})` : ""}`;
}

export function headerValue(req: RecordedRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
