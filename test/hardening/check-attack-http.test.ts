import { createServer as createHttpServer, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Agent } from "undici";
import type { CheckSpecOf, MonitorSpec } from "../../sdk/manifest/schema.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";

// An HTTP check against a target that is hostile or broken: every answer must end the check within
// its timeout, in bounded memory, with a message that names what failed (never a secret header or
// URL credentials), and nothing may crash the runtime.

const TOKEN = "canary-http-attack-7e21c0";
const HEALTHY = JSON.stringify({ status: "up", build: "1.2.3" });

/** Gzip members of 64 MiB of zeros, repeated to 1 GiB: about 1 MiB on the wire. */
const BOMB_MEMBER = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });

let server: Server;
let base: string;
const raw: TcpServer[] = [];
/** Sockets that carried a request and then closed, by server name. */
const closed = new Map<string, number>();

function listen(s: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

/** A TCP server that writes `onRequest`'s bytes itself: for answers node's http server refuses to send. */
async function rawServer(name: string, onRequest: (socket: Socket) => void): Promise<string> {
  const s = createTcpServer((socket) => {
    socket.on("error", () => undefined);
    socket.once("data", () => {
      // Only sockets that carried a request count (undici may open a spare one after an abort).
      socket.on("close", () => closed.set(name, (closed.get(name) ?? 0) + 1));
      onRequest(socket);
    });
  });
  raw.push(s);
  return `http://127.0.0.1:${await listen(s)}/`;
}

function encoded(res: ServerResponse, encoding: string, body: Buffer): void {
  res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding }).end(body);
}

let trickleUrl: string;
let silentUrl: string;
let hugeLengthUrl: string;
let badStatusUrl: string;
let http10Url: string;
let resetUrl: string;
let twoLengthsUrl: string;

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    switch (path) {
      case "/gzip":
        return encoded(res, "gzip", gzipSync(HEALTHY));
      case "/deflate":
        return encoded(res, "deflate", deflateSync(HEALTHY));
      case "/deflate-raw":
        return encoded(res, "deflate", deflateRawSync(HEALTHY));
      case "/br":
        return encoded(res, "br", brotliCompressSync(HEALTHY));
      case "/not-gzip":
        return encoded(res, "gzip", Buffer.from(HEALTHY));
      case "/bomb": {
        res.writeHead(200, { "content-encoding": "gzip" });
        let sent = 0;
        const pump = (): void => {
          while (!res.destroyed && sent < 16 && res.write(BOMB_MEMBER)) sent++;
          if (res.destroyed) return;
          if (sent < 16) res.once("drain", pump);
          else res.end();
        };
        return pump();
      }
      case "/many-headers": {
        const headers: Record<string, string> = {};
        for (let i = 0; i < 3000; i++) headers[`x-header-${i}`] = "v".repeat(20);
        return void res.writeHead(200, headers).end("ok");
      }
      case "/huge-header":
        return void res.writeHead(200, { "x-huge": "a".repeat(100_000) }).end("ok");
      case "/bom-json":
        // A UTF-8 byte order mark first, as IIS and .NET send.
        return void res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(HEALTHY)]));
      case "/overflowing-numbers":
        // Valid JSON whose numbers no double holds: JSON.parse reads them as Infinity.
        return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":1e999,"items":[-1e999,2]}');
      case "/deep-json": {
        const depth = 400_000;
        return void res.writeHead(200, { "content-type": "application/json" }).end(`{"status":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      }
      default:
        return void res.writeHead(404).end();
    }
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  // A chunked body that trickles a byte every 50 ms, for ever.
  trickleUrl = await rawServer("trickle", (socket) => {
    socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write("1\r\nx\r\n")), 50);
  });
  // Reads the request and never answers.
  silentUrl = await rawServer("silent", () => undefined);
  // Promises 100 MB and sends three bytes.
  hugeLengthUrl = await rawServer("huge-length", (socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nabc"));
  badStatusUrl = await rawServer("bad-status", (socket) => socket.end("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"));
  http10Url = await rawServer("http10", (socket) => socket.end("HTTP/1.0 200 OK\r\n\r\nhello from an old server"));
  twoLengthsUrl = await rawServer("two-lengths", (socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"));
  resetUrl = await rawServer("reset", (socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc");
    setTimeout(() => socket.resetAndDestroy(), 20);
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await Promise.all(raw.map((s) => new Promise((r) => s.close(r))));
});

type Expect = CheckSpecOf<"http">["expect"];

function monitor(url: string, expect: Partial<Expect> = {}, overrides: Partial<CheckSpecOf<"http">> = {}): MonitorSpec {
  const check: CheckSpecOf<"http"> = {
    kind: "http",
    url,
    method: "GET",
    headers: { authorization: { secret: "API_TOKEN" } },
    body: null,
    timeout: "2s",
    followRedirects: true,
    ...overrides,
    expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null, ...expect },
  };
  return { id: "attack", check } as unknown as MonitorSpec;
}

const ctx = (dispatcher?: Agent) => checkContext({ secrets: { API_TOKEN: TOKEN }, ...(dispatcher ? { dispatcher } : {}) });

async function check(m: MonitorSpec, dispatcher?: Agent) {
  const out = await runCheck(m, ctx(dispatcher));
  expect(JSON.stringify(out)).not.toContain(TOKEN);
  return out;
}

describe("compressed answers", () => {
  it.each(["/gzip", "/deflate", "/deflate-raw", "/br"])("a %s body is decoded before JSON and body expectations judge it", async (path) => {
    const out = await check(monitor(`${base}${path}`, { json: [{ path: "status", equals: "up" }], bodyContains: '"build":"1.2.3"' }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
  });

  it("a compression bomb (1 MB on the wire, 1 GiB decoded) is decoded only to the body limit, in bounded memory and time", async () => {
    const before = process.memoryUsage();
    const started = performance.now();
    const out = await check(monitor(`${base}/bomb`, { bodyContains: "never there" }));
    const after = process.memoryUsage();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false, message: 'body does not contain "never there" (searched the first 1 MiB)', details: { bodyTruncated: true } }] });
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(64 * 1024 * 1024);
  });

  it("a body that says gzip but is not is a bad-response error naming the encoding", async () => {
    const out = await check(monitor(`${base}/not-gzip`, { bodyContains: "up" }));
    expect(out).toMatchObject({ kind: "error", reason: "bad-response" });
    if (out.kind === "error") expect(out.error).toMatch(new RegExp(`^${base}/not-gzip sent a body that is not valid gzip \\(its Content-Encoding\\)`));
  });

  it("without body expectations a compressed body is not decoded at all", async () => {
    const out = await check(monitor(`${base}/bomb`));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
  });
});

describe("the monitor's own headers", () => {
  it.each([
    ["a trailing newline", `${TOKEN}\n`],
    ["a header injection", `${TOKEN}\r\nX-Injected: 1`],
  ])("a secret header value with %s is a config error naming the secret, not an unreachable target", async (_what, value) => {
    const out = await runCheck(monitor(`${base}/gzip`), checkContext({ secrets: { API_TOKEN: value } }));
    expect(out).toMatchObject({
      kind: "error",
      reason: "config",
      error: "secret API_TOKEN (header authorization) holds a line break or another control character, which an HTTP header cannot carry; set it without the trailing newline",
    });
  });

  it("a plain header value undici refuses is a config error too", async () => {
    const out = await check(monitor(`${base}/gzip`, {}, { headers: { "x-note": "line one\nline two" } }));
    expect(out).toMatchObject({ kind: "error", reason: "config" });
    if (out.kind === "error") expect(out.error).toMatch(new RegExp(`^request to ${base}/gzip could not be sent: invalid x-note header`));
  });
});

describe("oversized headers", () => {
  it.each(["/many-headers", "/huge-header"])("%s is a bad-response error that says the headers are too large, without the URL's credentials", async (path) => {
    const url = `http://user:hunter2-password@127.0.0.1:${new URL(base).port}${path}`;
    const out = await check(monitor(url));
    expect(out).toMatchObject({ kind: "error", reason: "bad-response" });
    if (out.kind !== "error") return;
    expect(out.error).toMatch(/answered with response headers over the 16 KiB limit \(too many or too large\)/);
    expect(out.error).not.toContain("hunter2-password");
  });
});

describe("JSON bodies", () => {
  it("a body that starts with a UTF-8 byte order mark is still JSON", async () => {
    const out = await check(monitor(`${base}/bom-json`, { json: [{ path: "status", equals: "up" }] }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
  });

  it("a value nested 400,000 deep fails the equals assertion with a short echo, not a stack overflow", async () => {
    const out = await check(monitor(`${base}/deep-json`, { json: [{ path: "status", equals: "up" }] }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false }] });
    if (out.kind === "results") expect(out.results[0]!.message).toMatch(/^JSON status is \[\[\[\[.*, expected "up"$/);
  });

  it("a number too large for a double is echoed as Infinity, not as the null it is not", async () => {
    const out = await check(monitor(`${base}/overflowing-numbers`, { json: [{ path: "status", equals: 1 }, { path: "items", equals: null }] }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false }] });
    if (out.kind === "results") {
      expect(out.results[0]!.message).toContain("JSON status is Infinity, expected 1");
      expect(out.results[0]!.message).toContain("JSON items is [-Infinity,2], expected null");
    }
  });
});

describe("bodies that never end", () => {
  it("a body that trickles a byte at a time ends at the check's timeout, and the socket is closed", async () => {
    const dispatcher = new Agent({ keepAliveTimeout: 15_000, connections: 64 });
    const started = performance.now();
    const out = await check(monitor(trickleUrl, { bodyContains: "done" }, { timeout: "400ms" }), dispatcher);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toMatchObject({ kind: "error", reason: "timeout" });
    if (out.kind === "error") expect(out.error).toMatch(new RegExp(`^check of attack timed out after 400ms \\(${trickleUrl} answered 200; its body was still arriving after \\d+ bytes\\)$`));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed.get("trickle")).toBe(1);
    await dispatcher.close();
  });

  it("a target that never answers ends at the timeout with a message saying nothing came back, without the URL's credentials", async () => {
    const withCredentials = silentUrl.replace("http://", "http://ops:hunter2-password@");
    const out = await check(monitor(withCredentials, {}, { timeout: "300ms" }));
    expect(out).toMatchObject({ kind: "error", reason: "timeout", error: `check of attack timed out after 300ms (no response from ${silentUrl})` });
  });

  it("a redirect whose body never ends is followed once 64 KiB of that body are skipped, not waited on until the timeout (and its connection is closed)", async () => {
    // A redirect's body is never read: like an unread body of an answer, it is drained up to 64 KiB.
    const endless = await rawServer("endless-redirect", (socket) => {
      socket.once("data", () => undefined);
      socket.write("HTTP/1.1 302 Found\r\nLocation: /moved\r\nTransfer-Encoding: chunked\r\n\r\n");
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(`4000\r\n${"x".repeat(0x4000)}\r\n`)), 5);
    });
    const target = `${base}/gzip`;
    const redirecting = await rawServer("endless-redirect-to", (socket) => {
      socket.write(`HTTP/1.1 302 Found\r\nLocation: ${target}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(`4000\r\n${"x".repeat(0x4000)}\r\n`)), 5);
    });
    const started = performance.now();
    const out = await check(monitor(redirecting, { json: [{ path: "status", equals: "up" }] }, { timeout: "3s" }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, details: { status: 200 } }] });
    expect(performance.now() - started).toBeLessThan(2_000);
    await vi.waitFor(() => expect(closed.get("endless-redirect-to")).toBe(1), { timeout: 2_000 });
    // A redirect to a place that redirects the same way, for ever, is still the redirect loop it is.
    const loop = await check(monitor(endless, {}, { timeout: "5s" }));
    expect(loop).toMatchObject({ kind: "error", reason: "bad-response" });
    if (loop.kind === "error") expect(loop.error).toContain("redirected more than 10 times");
  });

  it("a Content-Length of 100 MB that never arrives ends at the timeout with bounded memory", async () => {
    const before = process.memoryUsage().heapUsed;
    const out = await check(monitor(hugeLengthUrl, { bodyContains: "abc" }, { timeout: "300ms" }));
    expect(out).toMatchObject({ kind: "error", reason: "timeout" });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });
});

describe("broken HTTP", () => {
  it("an invalid status line is a bad-response error", async () => {
    const out = await check(monitor(badStatusUrl));
    expect(out).toMatchObject({ kind: "error", reason: "bad-response", error: `${badStatusUrl} did not answer with valid HTTP` });
  });

  it("two different Content-Lengths (a response smuggling attempt) are a bad-response error, not unreachable", async () => {
    const out = await check(monitor(twoLengthsUrl));
    expect(out).toMatchObject({ kind: "error", reason: "bad-response", error: `${twoLengthsUrl} answered with a body that does not match its Content-Length` });
  });

  it("an HTTP/1.0 answer without a length is read to the close of the connection", async () => {
    const out = await check(monitor(http10Url, { bodyContains: "old server" }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
  });

  it("a reset in the middle of the body is an unreachable error that says the response was cut", async () => {
    const out = await check(monitor(resetUrl, { bodyContains: "abc" }));
    expect(out).toMatchObject({ kind: "error", reason: "unreachable" });
    if (out.kind === "error") expect(out.error).toMatch(/closed before a full response/);
  });
});
