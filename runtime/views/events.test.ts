import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router } from "../http/router.js";
import { createHttpServer, listen } from "../server/http-server.js";
import { EventHub, type Snapshot } from "./events.js";

let server: Server | null = null;
let hub: EventHub | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  hub?.close();
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  [server, hub] = [null, null];
});

describe("live updates to a page that stops reading", () => {
  it("drops a stream whose reader has fallen behind instead of holding every message for it in memory", async () => {
    // Every read changes 2,000 monitors: about 90 KB of message per change.
    let round = 0;
    const snapshot = async (): Promise<Snapshot> => new Map(Array.from({ length: 2_000 }, (_, i) => [`monitor-${i}`, `state-${round}-${"x".repeat(20)}`]));
    hub = new EventHub({ snapshot, logger: pino({ level: "silent" }), pollMs: 3_600_000, heartbeatMs: 3_600_000 });
    const router = new Router().add("GET", "/events", (req, res) => hub!.open(req, res, null));
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");

    // A client that asks for the stream and never reads it (a laptop gone to sleep, a hostile client).
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.write("GET /events HTTP/1.1\r\nHost: wk\r\n\r\n");
    await until(() => hub!.size === 1);
    await hub.poll(); // the baseline

    for (round = 1; round <= 400 && hub.size > 0; round++) {
      await hub.poll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 400 changes are 36 MB: far more than the kernel's buffers; the hub must let go of the stream.
    expect(hub.size).toBe(0);
  }, 60_000);
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error("condition not met in time");
}

describe("live updates when one client asks for every stream", () => {
  it("leaves at least half of the public streams to other addresses", async () => {
    hub = new EventHub({ snapshot: async () => new Map(), logger: pino({ level: "silent" }), pollMs: 3_600_000, heartbeatMs: 3_600_000 });
    // The address as the views take it behind a trusted proxy.
    const router = new Router().add("GET", "/events", (req, res) => hub!.open(req, res, "status:public", String(req.headers["x-client"])));
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");

    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push(await openStream(port, "203.0.113.9"));
    const held = statuses.filter((s) => s === 200).length;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(50);
    expect(statuses.at(-1)).toBe(503);
    // Another visitor still gets its live view.
    expect(await openStream(port, "198.51.100.4")).toBe(200);
  }, 60_000);
});

/** Opens a stream from the given client address and answers its status; the socket stays open. */
async function openStream(port: number, client: string): Promise<number> {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  socket.write(`GET /events HTTP/1.1\r\nHost: wk\r\nX-Client: ${client}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    socket.once("data", (chunk: Buffer) => resolve(Number(chunk.toString("latin1").split(" ")[1])));
    socket.once("error", reject);
  });
}
