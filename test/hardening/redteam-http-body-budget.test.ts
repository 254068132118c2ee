import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router, sendJson, SMALL_BODY_BYTES } from "../../runtime/http/router.js";
import { closeServer, createHttpServer, listen } from "../../runtime/server/http-server.js";

let server: Server | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) await closeServer(server);
  server = null;
});

const MiB = 1024 * 1024;

/** Starts an upload of `declared` bytes, sends `sent` of them, and keeps the connection open. */
function holdUpload(port: number, path: string, declared: number, sent: number, method = "POST"): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
      s.write(Buffer.alloc(sent, 0x20), () => setTimeout(resolve, 50));
    });
    s.on("error", reject);
    sockets.push(s);
  });
}

describe("bodies held in memory are bounded for the whole server, not only per request", () => {
  it("answers 503 once unfinished uploads hold the server's body budget, keeps /healthz up, and serves again when they go", async () => {
    const router = new Router()
      .add("POST", "/webhooks/x", (_req, res, _p, body) => sendJson(res, 200, { bytes: body.length }))
      .add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));
    server = createHttpServer(router, pino({ level: "silent" }), { maxBufferedBodyBytes: 2 * MiB });
    const { port } = await listen(server, 0, "127.0.0.1");
    const base = `http://127.0.0.1:${port}`;

    // Uploads to paths no route serves are not buffered at all.
    for (let i = 0; i < 4; i++) await holdUpload(port, "/nowhere", MiB, 900_000);
    expect((await fetch(`${base}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) })).status).toBe(200);

    // Three slow uploads of 900 KB each hold more than the 2 MiB budget between them.
    for (let i = 0; i < 3; i++) await holdUpload(port, "/webhooks/x", MiB, 900_000);
    const refused = await fetch(`${base}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${base}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) })).status).toBe(200);
  });

  it("a GET's body is discarded unread, so GETs cannot hold the budget", async () => {
    const router = new Router()
      .add("POST", "/webhooks/x", (_req, res, _p, body) => sendJson(res, 200, { bytes: body.length }))
      .add("GET", "/healthz", (_req, res, _p, body) => sendJson(res, 200, { bytes: body.length }));
    server = createHttpServer(router, pino({ level: "silent" }), { maxBufferedBodyBytes: 2 * MiB });
    const { port } = await listen(server, 0, "127.0.0.1");
    for (let i = 0; i < 4; i++) await holdUpload(port, "/healthz", MiB, 900_000, "GET");
    expect((await fetch(`http://127.0.0.1:${port}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) })).status).toBe(200);
  });

  it("a route that takes small bodies refuses a larger one with 413 without holding it", async () => {
    const router = new Router().add("POST", "/heartbeat/x", (_req, res, _p, body) => sendJson(res, 200, { bytes: body.length }), { maxBodyBytes: SMALL_BODY_BYTES });
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const base = `http://127.0.0.1:${port}/heartbeat/x`;
    expect((await fetch(base, { method: "POST", body: "x".repeat(SMALL_BODY_BYTES) })).status).toBe(200);
    expect((await fetch(base, { method: "POST", body: "x".repeat(SMALL_BODY_BYTES + 1) })).status).toBe(413);
  });

  it("one address holds at most a quarter of the budget, so others' webhooks still get through", async () => {
    const router = new Router().add("POST", "/webhooks/x", (_req, res, _p, body) => sendJson(res, 200, { bytes: body.length }));
    // Loopback counted as an address, as a remote client is.
    server = createHttpServer(router, pino({ level: "silent" }), { maxBufferedBodyBytes: 8 * MiB, limitLoopback: true });
    const { port } = await listen(server, 0, "127.0.0.1");
    for (let i = 0; i < 2; i++) await holdUpload(port, "/webhooks/x", MiB, 900_000);
    // 1.8 MB held by this address: 300 KB more passes the 2 MiB share, the total is far from full.
    const refused = await fetch(`http://127.0.0.1:${port}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) });
    expect(refused.status).toBe(503);
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`http://127.0.0.1:${port}/webhooks/x`, { method: "POST", body: "x".repeat(300_000) })).status).toBe(200);
  });
});
