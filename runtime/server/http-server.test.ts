import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router, sendText } from "../http/router.js";
import { createHttpServer, listen } from "./http-server.js";

let server: Server | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const connections = (s: Server) => new Promise<number>((resolve, reject) => s.getConnections((error, n) => (error ? reject(error) : resolve(n))));

describe("connections that stop reading", () => {
  it("closes a connection whose client asked for an answer and stopped reading it, so such clients cannot hold sockets and memory forever", async () => {
    // Any answer larger than the kernel's buffers will do: a big /metrics, a status page, an API list.
    const big = "x".repeat(16 * 1024 * 1024);
    let served = 0;
    const router = new Router().add("GET", "/big", (_req, res) => {
      served++;
      sendText(res, 200, big);
    });
    server = createHttpServer(router, pino({ level: "silent" }), { idleTimeoutMs: 1_000 });
    const { port } = await listen(server, 0, "127.0.0.1");

    for (let i = 0; i < 2; i++) {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => undefined);
      // Sends a whole, valid request (so no request timeout applies), then never reads a byte.
      socket.write("GET /big HTTP/1.1\r\nHost: wk\r\n\r\n");
    }
    await until(async () => served === 2);
    expect(await connections(server!)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await connections(server)).toBe(0);
  });
});

describe("request bodies over a route's limit", () => {
  it("a GET that says a body follows is answered at once, the body never waited for nor read", async () => {
    const router = new Router().add("GET", "/healthz", (_req, res) => sendText(res, 200, "ok"));
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    for (const framing of ["Content-Length: 10000000000", "Transfer-Encoding: chunked"]) {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => undefined);
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
      const started = performance.now();
      socket.write(`GET /healthz HTTP/1.1\r\nHost: wk\r\n${framing}\r\n\r\n`);
      await until(async () => answer.includes("ok") || performance.now() - started > 3_000);
      expect(answer, framing).toMatch(/^HTTP\/1\.1 200 /);
      expect(performance.now() - started, framing).toBeLessThan(2_000);
    }
  });

  it("a body streamed without a Content-Length is answered 413 as soon as it passes the limit, while the sender is still sending", async () => {
    let handled = 0;
    const router = new Router().add("POST", "/ping", (_req, res) => {
      handled++;
      sendText(res, 200, "ok");
    }, { maxBodyBytes: 1024 });
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.on("error", () => undefined);
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    const started = performance.now();
    socket.write("POST /ping HTTP/1.1\r\nHost: wk\r\nTransfer-Encoding: chunked\r\n\r\n");
    // 2 KiB now, and the stream never ends.
    socket.write(`800\r\n${"x".repeat(2048)}\r\n`);
    await until(async () => answer.length > 0 || performance.now() - started > 3_000);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain("at most 1024 bytes");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(handled).toBe(0);
  });

  it("a client that asks before sending its body (Expect: 100-continue) is answered 413 or 404 at once, never told to go on with a body that is refused, and 100 Continue when the body is taken", async () => {
    let handled = 0;
    const router = new Router().add("POST", "/ping", (_req, res, _params, body) => {
      handled++;
      sendText(res, 200, `got ${body.length}`);
    }, { maxBodyBytes: 1024 });
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const ask = async (path: string, length: number, sendBodyOnContinue: boolean) => {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => undefined);
      let answer = "";
      socket.on("data", (d: Buffer) => {
        answer += d.toString("latin1");
        if (sendBodyOnContinue && answer.startsWith("HTTP/1.1 100 ")) socket.write("x".repeat(length));
      });
      socket.write(`POST ${path} HTTP/1.1\r\nHost: wk\r\nExpect: 100-continue\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`);
      await until(async () => /\r\n\r\n[^]*\S/.test(answer.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "")) || socket.destroyed);
      return answer;
    };
    expect(await ask("/ping", 5_000_000, false)).toMatch(/^HTTP\/1\.1 413 /);
    expect(await ask("/nowhere", 5_000_000, false)).toMatch(/^HTTP\/1\.1 404 /);
    const taken = await ask("/ping", 100, true);
    expect(taken).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(taken).toContain("got 100");
    expect(handled).toBe(1);
  });

  it("a body whose Content-Length is over the limit is answered 413 at once, without waiting for it, and the connection closes", async () => {
    let handled = 0;
    const router = new Router().add("POST", "/ping", (_req, res) => {
      handled++;
      sendText(res, 200, "ok");
    }, { maxBodyBytes: 1024 });
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.on("error", () => undefined);
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    const started = performance.now();
    // Says ten gigabytes are coming, and sends none of them.
    socket.write("POST /ping HTTP/1.1\r\nHost: wk\r\nContent-Length: 10000000000\r\n\r\n");
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain("at most 1024 bytes");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(handled).toBe(0);
  });
});

describe("requests no route can take", () => {
  it("a method the path does not take is answered 405 with an Allow that lists every method it does take, HEAD wherever GET is (HEAD is answered as GET)", async () => {
    const router = new Router()
      .add("GET", "/healthz", (_req, res) => sendText(res, 200, "ok"))
      .add("POST", "/heartbeat/:id", (_req, res) => sendText(res, 200, "ok"))
      .add("GET", "/heartbeat/:id", (_req, res) => sendText(res, 200, "ok"))
      .add("POST", "/webhooks/pagerduty", (_req, res) => sendText(res, 200, "ok"));
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const allow = async (method: string, path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      await res.arrayBuffer();
      return [res.status, (res.headers.get("allow") ?? "").split(/,\s*/).sort().join(", ")];
    };
    expect(await allow("PUT", "/healthz")).toEqual([405, "GET, HEAD"]);
    expect(await allow("OPTIONS", "/healthz")).toEqual([405, "GET, HEAD"]);
    expect(await allow("DELETE", "/heartbeat/nightly")).toEqual([405, "GET, HEAD, POST"]);
    expect(await allow("GET", "/webhooks/pagerduty")).toEqual([405, "POST"]);
    expect(await allow("HEAD", "/webhooks/pagerduty")).toEqual([405, "POST"]);
  });

  it("a CONNECT (a client taking the runtime for a proxy) is answered 405 and closed, not dropped without a word, and the server keeps serving", async () => {
    const router = new Router().add("GET", "/healthz", (_req, res) => sendText(res, 200, "ok"));
    server = createHttpServer(router, pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    for (const target of ["127.0.0.1:6379", "169.254.169.254:80", "/healthz"]) {
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => undefined);
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      expect(answer, target).toMatch(/^HTTP\/1\.1 405 /);
      expect(answer, target).toContain("CONNECT");
      expect(socket.destroyed || socket.readableEnded, target).toBe(true);
    }
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe("ok");
  });
});

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition not met in time");
}
