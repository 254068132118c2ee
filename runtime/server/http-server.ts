import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { sendJson, type Router } from "../http/router.js";
import { rateLimitKey } from "../inbound/rate-limit.js";
import { LimitedWarnings } from "../limited-warnings.js";

/** Request bodies above this are refused: webhooks and heartbeats are small. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Bytes of request bodies held in memory at once, over all requests: without a bound, a few
 * thousand slow 1 MiB uploads (30 s each) would exhaust memory and end the process that pages.
 * Past it, requests answer 503 (Retry-After: 1) and their bodies are read and dropped.
 */
const MAX_BUFFERED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * A connection on which nothing moves for this long is closed. The request timeouts end only once
 * a request has arrived: a client that sends a whole request and then never reads the answer would
 * otherwise hold its socket, and the answer in memory, for as long as it likes. Event streams write
 * a heartbeat every 15 s, and every handler answers well within this.
 */
const IDLE_TIMEOUT_MS = 120_000;

/**
 * Connections held at once. Each costs a file descriptor and a few kilobytes: without a bound,
 * tens of thousands of idle connections (each allowed 10 s to send its headers) would use up the
 * descriptors the runtime needs for its checks, its pages and its state file, or its memory. A
 * single address may hold only a share of them, so one client's flood leaves room for the
 * probes, the team's browsers and the webhooks. Past either bound a new connection is closed at
 * once; the ones held are served as before.
 */
const MAX_CONNECTIONS = 4096;
const MAX_CONNECTIONS_PER_ADDRESS = 256;

export interface HttpServerOptions {
  /** Connections held at once (default 4096). */
  maxConnections?: number;
  /** Connections one remote address (an IPv6 /64 counts as one) may hold at once (default 256). */
  maxConnectionsPerAddress?: number;
  /** Whether loopback addresses have the per-address bounds (connections, body bytes) too (default no: they are this host's own). */
  limitLoopback?: boolean;
  /** Body bytes held at once over all requests (default 64 MiB). */
  maxBufferedBodyBytes?: number;
  /** Closes a connection with no traffic either way for this long (default 2 minutes). */
  idleTimeoutMs?: number;
}

/** Body bytes currently held by requests being read or handled, in all and per client address. */
interface BodyBudget {
  used: number;
  readonly max: number;
  /** Bytes held per address (an IPv6 /64 as one); loopback clients are not counted apart unless `limitLoopback`. */
  readonly byAddress: Map<string, number>;
  readonly limitLoopback: boolean;
}

/** The share of the body budget one address may hold: one client cannot make everyone else's webhooks wait. */
const ADDRESS_SHARE = 1 / 4;

/**
 * A node:http server over the router: runs the router's guards (a Host it does not answer to:
 * 421), routes, reads the body, dispatches, answers 400/404/405/413/503/500 itself. Nothing a
 * client sends can end the process: every failure while handling a request ends that request only
 * (400 for input the runtime cannot parse, 500 for a bug, logged without the query string, where
 * tokens travel).
 */
export function createHttpServer(router: Router, logger: Logger, options: HttpServerOptions = {}): Server {
  const budget: BodyBudget = { used: 0, max: options.maxBufferedBodyBytes ?? MAX_BUFFERED_BODY_BYTES, byAddress: new Map(), limitLoopback: options.limitLoopback === true };
  // Node enforces headersTimeout and requestTimeout only when it checks connections, every 30 s by
  // default: a slow client would hold a socket for up to 40 s instead of the documented 10 s.
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    void handle(router, req, res, budget).catch((error: unknown) => failed(logger, req, res, error));
  };
  const server = createServer({ connectionsCheckingInterval: 1_000 }, serve);
  // Left to node, `Expect: 100-continue` is answered 100 before any route runs: the client sends a
  // body that is then refused (413, 404, 405). Handled here, 100 goes out only when the body is read.
  server.on("checkContinue", serve);
  // Slow clients must not hold sockets forever; the handlers themselves are quick.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  limitConnections(server, logger, options.maxConnections ?? MAX_CONNECTIONS, options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS, options.limitLoopback === true);
  // A CONNECT never reaches the handler, and without a listener node drops the socket without a
  // word: a client that took the runtime for a proxy learns nothing. It is answered as any method
  // no route takes.
  server.on("connect", (_req: IncomingMessage, socket: Socket) => refuseTunnel(socket));
  // Requests node cannot parse (bad request line, oversized headers: 431) never reach the
  // handler; node's own clientError answer (400/431, then close) is what we want.
  return server;
}

function limitConnections(server: Server, logger: Logger, max: number, perAddress: number, limitLoopback: boolean): void {
  const warnings = new LimitedWarnings(logger, Date.now);
  server.maxConnections = max;
  server.on("drop", (data?: { remoteAddress?: string }) => {
    warnings.warn("connections-full", { limit: max, remoteAddress: data?.remoteAddress }, "a connection was closed at once: the runtime holds as many connections as it allows");
  });
  const held = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const remote = socket.remoteAddress ?? "";
    // A client on this host (a sidecar, a port-forward, a load test) is already inside; the total still bounds it.
    if (!limitLoopback && isLoopback(remote)) return;
    // One host holds a whole IPv6 /64: counted by address, 16 of its addresses would fill every slot.
    const address = rateLimitKey(remote);
    const count = held.get(address) ?? 0;
    if (count >= perAddress) {
      warnings.warn("connections-per-address", { limit: perAddress, remoteAddress: address }, "a connection was closed at once: its address holds as many connections as one address may");
      socket.destroy();
      return;
    }
    held.set(address, count + 1);
    socket.once("close", () => {
      const left = (held.get(address) ?? 1) - 1;
      if (left <= 0) held.delete(address);
      else held.set(address, left);
    });
  });
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse, budget: BodyBudget): Promise<void> {
  // An aborted request or a broken socket ends this request; the error must not go unhandled.
  req.on("error", () => undefined);
  res.on("error", () => undefined);
  const method = req.method ?? "GET";
  const target = parseTarget(req.url ?? "/");
  if (target === null) return sendJson(res, 400, { error: "malformed request target" });
  const refused = router.refusal(req, target);
  if (refused) return sendJson(res, refused.status, { error: refused.error });
  // Routed before the body is read: a request no route serves is answered without buffering it.
  const match = router.match(method === "HEAD" ? "GET" : method, target);
  if (match === null) return sendJson(res, 404, { error: "not found" });
  if ("malformed" in match) return sendJson(res, 400, { error: match.malformed });
  if ("allowed" in match) {
    // HEAD is served wherever GET is (the GET handler, without the body), so it is allowed there too.
    const allowed = match.allowed.includes("GET") ? [...match.allowed, "HEAD"] : match.allowed;
    res.setHeader("allow", [...new Set(allowed)].join(", "));
    return sendJson(res, 405, { error: "method not allowed" });
  }
  // A GET or HEAD carries no body worth reading: one sent anyway is discarded, never held.
  const read = method === "GET" || method === "HEAD" ? 0 : Math.min(match.maxBodyBytes ?? MAX_BODY_BYTES, MAX_BODY_BYTES);
  // A body that says in advance it is too large is refused at once, not read: else the answer waits
  // for all of it (gigabytes, or the 30 s request timeout when it never comes), and the sender
  // learns nothing until then. The connection closes: the unread body cannot be told from a next request.
  if (read > 0 && declaredLength(req) > read) {
    res.setHeader("connection", "close");
    return sendJson(res, 413, { error: `request body too large: this route takes at most ${read} bytes` });
  }
  // A GET or HEAD is answered without waiting for a body it sends (never read: up to 30 s of one
  // that never comes, or gigabytes that do); the connection closes, as after a refused body.
  if (read === 0 && (declaredLength(req) > 0 || req.headers["transfer-encoding"] !== undefined)) {
    res.setHeader("connection", "close");
    await match.handler(req, res, match.params, Buffer.alloc(0));
    return;
  }
  const remote = req.socket.remoteAddress ?? "";
  if (expectsContinue(req)) res.writeContinue();
  const body = await readBody(req, budget, read, isLoopback(remote) && !budget.limitLoopback ? null : rateLimitKey(remote));
  // Answered as soon as the body is refused, while the rest may still be coming: the connection
  // closes, since what is left of the body cannot be told from a next request.
  if (body === "too large" || body === "busy") res.setHeader("connection", "close");
  if (body === "too large") return sendJson(res, 413, { error: `request body too large: this route takes at most ${read} bytes` });
  if (body === "busy") {
    res.setHeader("retry-after", "1");
    return sendJson(res, 503, { error: "too many request bodies in flight; try again" });
  }
  if (body === "failed") return void res.destroy();
  try {
    await match.handler(req, res, match.params, body.data);
  } finally {
    body.release();
  }
}

const TUNNEL_REFUSAL = JSON.stringify({ error: "CONNECT is not served: this is not a proxy" });

/** Answers a CONNECT 405 and closes its connection (node hands it over as a bare socket). */
function refuseTunnel(socket: Socket): void {
  socket.on("error", () => undefined);
  socket.end(
    "HTTP/1.1 405 Method Not Allowed\r\n" +
      "allow: GET, HEAD, POST, DELETE\r\n" +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(TUNNEL_REFUSAL)}\r\n` +
      "x-content-type-options: nosniff\r\n" +
      "connection: close\r\n\r\n" +
      TUNNEL_REFUSAL,
    // Closed once written: a client that keeps its side open must not hold the socket.
    () => socket.destroy(),
  );
}

/** Whether the client waits for 100 Continue before it sends the body (HTTP/1.1 only, as node asks; any other expectation node has answered 417). */
function expectsContinue(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.expect?.toLowerCase() === "100-continue";
}

/** The Content-Length a request declares; 0 when none (chunked, or no body). Node has refused a malformed or repeated one. */
function declaredLength(req: IncomingMessage): number {
  const value = req.headers["content-length"];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

function failed(logger: Logger, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  logger.error({ err: error, method: req.method, path: (req.url ?? "/").split(/[?#]/)[0] }, "request handler failed");
  try {
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
    else res.end();
  } catch {
    res.destroy();
  }
}

/**
 * The path and query of the request target; null when it does not parse (handlers read the query
 * with `new URL(req.url, base)`, so a target that fails here would throw there).
 */
function parseTarget(url: string): string | null {
  try {
    const parsed = new URL(url, "http://localhost");
    // An absolute-form target (`GET http://host/path`) routes by its path, like origin-form.
    return url.startsWith("/") ? url : parsed.pathname + parsed.search;
  } catch {
    return null;
  }
}

/**
 * Reads the body, holding its bytes against the server-wide budget and the client address's share
 * of it; `release` gives them back once the handler is done. Over `max` ("too large"; a `max` of 0
 * discards any body unread) or over the budget or the share ("busy"), what was held is dropped and
 * the refusal settles at once; the rest is read and discarded until the connection closes.
 */
function readBody(
  req: IncomingMessage,
  budget: BodyBudget,
  max: number,
  address: string | null,
): Promise<{ data: Buffer; release: () => void } | "too large" | "busy" | "failed"> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let held = 0;
    let refused: "too large" | "busy" | null = null;
    const share = budget.max * ADDRESS_SHARE;
    const hold = (bytes: number) => {
      held += bytes;
      budget.used += bytes;
      if (address === null) return;
      const now = (budget.byAddress.get(address) ?? 0) + bytes;
      if (now <= 0) budget.byAddress.delete(address);
      else budget.byAddress.set(address, now);
    };
    const release = () => hold(-held);
    let settled = false;
    const settle = (value: Awaited<ReturnType<typeof readBody>>) => {
      if (settled) return;
      settled = true;
      if (typeof value === "string") release();
      resolve(value);
    };
    req.on("data", (chunk: Buffer) => {
      if (refused || max === 0) return;
      if (held + chunk.length > max) refused = "too large";
      else if (budget.used + chunk.length > budget.max) refused = "busy";
      else if (address !== null && (budget.byAddress.get(address) ?? 0) + chunk.length > share) refused = "busy";
      if (refused) {
        chunks = [];
        // Answered now, not once the sender stops: a body streamed without a Content-Length would
        // otherwise hold the answer, and keep being read, until the request timeout.
        settle(refused);
        return;
      }
      chunks.push(chunk);
      hold(chunk.length);
    });
    req.on("end", () => settle(refused ?? { data: Buffer.concat(chunks), release }));
    req.on("error", () => settle("failed"));
    req.on("close", () => settle("failed"));
  });
}

/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, port: number, host: string): Promise<{ port: number; host: string }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address();
      if (addr === null || typeof addr === "string") return reject(new Error("server has no TCP address"));
      resolve({ port: addr.port, host: addr.address });
    });
  });
}

/** Stops accepting connections and closes idle ones; resolves when the server has closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Anything still open after a short grace (a slow client) is cut so shutdown finishes.
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}

/** 127.0.0.0/8, ::1 and IPv4 loopback written as IPv6. */
function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}
