import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import type { Server } from "node:http";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Router, sendJson } from "../../runtime/http/router.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";

/**
 * Idle connections cost the runtime a file descriptor each, which its checks, pages and state
 * file need too. A flood from one address is held to that address's share; past the total,
 * new connections are closed at once. The connections already held are served.
 */
describe("http attack: a flood of idle connections", () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function start(maxConnections: number, maxConnectionsPerAddress: number, limitLoopback = true) {
    const router = new Router();
    router.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { ok: true }));
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    // The loopback addresses stand in for remote ones (the bound leaves this host's own alone by default).
    server = createHttpServer(router, logger, { maxConnections, maxConnectionsPerAddress, limitLoopback });
    const { port } = await listen(server, 0, "127.0.0.1");
    return { port, lines };
  }

  /** Opens a raw connection from a loopback address; resolves with whether the server kept it for 300 ms. */
  async function hold(port: number, from: string): Promise<boolean> {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from });
    sockets.push(socket);
    socket.on("error", () => undefined);
    return new Promise((resolve) => {
      const kept = setTimeout(() => resolve(true), 300);
      socket.once("close", () => {
        clearTimeout(kept);
        resolve(false);
      });
    });
  }

  /** A whole request from a loopback address, on its own connection. */
  function get(port: number, from: string): Promise<number | "closed"> {
    return new Promise((resolve) => {
      const socket = connect({ port, host: "127.0.0.1", localAddress: from });
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString()));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(/^HTTP\/1\.1 (\d+)/.exec(text) ? Number(/^HTTP\/1\.1 (\d+)/.exec(text)![1]) : "closed"));
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    });
  }

  it("holds one address to its share, answers other addresses, and serves again once the flood ends", async () => {
    const { port, lines } = await start(1000, 20);
    const kept = await Promise.all(Array.from({ length: 30 }, () => hold(port, "127.0.0.2")));
    expect(kept.filter(Boolean)).toHaveLength(20);
    expect(await get(port, "127.0.0.2")).toBe("closed");
    // The probe from another address is answered while the flood holds its share.
    expect(await get(port, "127.0.0.3")).toBe(200);
    // One warning line for the flood, not one per connection.
    expect(lines.filter((l) => l.includes("its address holds as many connections"))).toHaveLength(1);
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await get(port, "127.0.0.2")).toBe(200);
  });

  it("leaves this host's own clients out of the per-address bound", async () => {
    const { port } = await start(1000, 5, false);
    const kept = await Promise.all(Array.from({ length: 20 }, () => hold(port, "127.0.0.2")));
    expect(kept.every(Boolean)).toBe(true);
    expect(await get(port, "127.0.0.2")).toBe(200);
  });

  it("closes new connections past the total, from any address", async () => {
    const { port } = await start(10, 100);
    const kept = await Promise.all(Array.from({ length: 10 }, (_, i) => hold(port, `127.0.0.${10 + i}`)));
    expect(kept.every(Boolean)).toBe(true);
    expect(await get(port, "127.0.0.50")).toBe("closed");
    sockets.splice(0, 1).forEach((s) => s.destroy());
    await new Promise((r) => setTimeout(r, 100));
    expect(await get(port, "127.0.0.51")).toBe(200);
  });
});

/**
 * One host holds a whole IPv6 /64 and can pick a fresh address for every connection: the bound
 * counts the /64 as one address. The test needs addresses of two /64s on this host's loopback
 * device (documentation prefixes, removed after), which only root may add.
 */
describe("http attack: a flood from many addresses of one IPv6 /64", () => {
  const OWN = ["2001:db8:77::1", "2001:db8:77::2", "2001:db8:77:0:ffff::3"];
  const OTHER = "2001:db8:78::1";
  const ip = (...args: string[]) => spawnSync("ip", args, { stdio: "ignore" }).status === 0;
  let added: string[] = [];
  let server: Server | undefined;
  const sockets: Socket[] = [];

  beforeAll(() => {
    for (const address of [...OWN, OTHER]) if (ip("-6", "addr", "add", `${address}/128`, "dev", "lo", "nodad")) added.push(address);
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const address of added) ip("-6", "addr", "del", `${address}/128`, "dev", "lo");
    added = [];
  });

  it("counts every address of the /64 against one share, and another /64 apart", async (ctx) => {
    if (added.length < OWN.length + 1) {
      console.warn("skipped: this host's loopback device takes no extra IPv6 addresses here (needs root and IPv6)");
      return ctx.skip();
    }
    const router = new Router();
    router.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { ok: true }));
    server = createHttpServer(router, pino({ level: "silent" }), { maxConnections: 1000, maxConnectionsPerAddress: 2 });
    const { port } = await listen(server, 0, "::");
    const hold = (from: string) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host: from, localAddress: from });
        sockets.push(socket);
        socket.on("error", () => undefined);
        const kept = setTimeout(() => resolve(true), 300);
        socket.once("close", () => {
          clearTimeout(kept);
          resolve(false);
        });
      });
    // Two connections from two addresses of the /64 fill its share; a third address of it is refused.
    expect(await hold(OWN[0]!)).toBe(true);
    expect(await hold(OWN[1]!)).toBe(true);
    expect(await hold(OWN[2]!)).toBe(false);
    expect(await hold(OTHER)).toBe(true);
  });
});
