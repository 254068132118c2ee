import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sendJson, type Router } from "../http/router.js";

/** Request bodies above this are refused: webhooks and heartbeats are small. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A node:http server over the router: reads the body, dispatches, answers 400/404/405/413/500
 * itself. Nothing a client sends can end the process: every failure while handling a request ends
 * that request only (400 for input the runtime cannot parse, 500 for a bug, logged without the
 * query string, where tokens travel).
 */
export function createHttpServer(router: Router, logger: Logger): Server {
  const server = createServer((req, res) => {
    void handle(router, req, res).catch((error: unknown) => failed(logger, req, res, error));
  });
  // Slow clients must not hold sockets forever; the handlers themselves are quick.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  // Requests node cannot parse (bad request line, oversized headers: 431) never reach the
  // handler; node's own clientError answer (400/431, then close) is what we want.
  return server;
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // An aborted request or a broken socket ends this request; the error must not go unhandled.
  req.on("error", () => undefined);
  res.on("error", () => undefined);
  const method = req.method ?? "GET";
  const target = parseTarget(req.url ?? "/");
  if (target === null) return sendJson(res, 400, { error: "malformed request target" });
  const body = await readBody(req);
  if (body === "too large") return sendJson(res, 413, { error: "request body too large" });
  if (body === "failed") return void res.destroy();
  const match = router.match(method === "HEAD" ? "GET" : method, target);
  if (match === null) return sendJson(res, 404, { error: "not found" });
  if ("malformed" in match) return sendJson(res, 400, { error: match.malformed });
  if ("allowed" in match) {
    res.setHeader("allow", match.allowed.join(", "));
    return sendJson(res, 405, { error: "method not allowed" });
  }
  await match.handler(req, res, match.params, body);
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

function readBody(req: IncomingMessage): Promise<Buffer | "too large" | "failed"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? "too large" : Buffer.concat(chunks)));
    req.on("error", () => resolve("failed"));
    req.on("close", () => resolve("failed"));
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
