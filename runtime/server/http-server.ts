import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Logger } from "pino";
import { sendJson, type Router } from "../http/router.js";

/** Request bodies above this are refused: webhooks and heartbeats are small. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A node:http server over the router: reads the body, dispatches, answers 404/405/413/500 itself. */
export function createHttpServer(router: Router, logger: Logger): Server {
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    void readBody(req).then(
      async (body) => {
        if (body === null) return sendJson(res, 413, { error: "request body too large" });
        const match = router.match(method === "HEAD" ? "GET" : method, url);
        if (match === null) return sendJson(res, 404, { error: "not found" });
        if ("allowed" in match) {
          res.setHeader("allow", match.allowed.join(", "));
          return sendJson(res, 405, { error: "method not allowed" });
        }
        try {
          await match.handler(req, res, match.params, body);
        } catch (error) {
          logger.error({ err: error, method, path: url.split("?")[0] }, "request handler failed");
          if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
          else res.end();
        }
      },
      () => res.destroy(),
    );
  });
  // Slow clients must not hold sockets forever; the handlers themselves are quick.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on("error", reject);
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
