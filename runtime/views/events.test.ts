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
