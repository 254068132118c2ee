import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";

// A TCP check only connects and closes: what the port says afterwards (a banner that never ends,
// nothing at all, a reset) must neither hold the check nor fill its memory.

const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const s = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as AddressInfo).port;
}

let silent: number;
let banner: number;
let reset: number;

beforeAll(async () => {
  silent = await listen(() => undefined);
  banner = await listen((socket) => {
    const chunk = Buffer.alloc(64 * 1024, 0x42);
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once("drain", pump);
    };
    pump();
  });
  reset = await listen((socket) => socket.resetAndDestroy());
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const monitor = (port: number): MonitorSpec => ({ id: "tcp-attack", check: { kind: "tcp", host: "127.0.0.1", port, timeout: "500ms" } }) as unknown as MonitorSpec;

describe("TCP targets", () => {
  it("a port that accepts and never says a word is open", async () => {
    const out = await runCheck(monitor(silent), checkContext());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, message: expect.stringMatching(/^connected to 127\.0\.0\.1:\d+ in \d+ms$/) }] });
  });

  it("a banner that never ends is not read: the check closes at once, in bounded memory", async () => {
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const out = await runCheck(monitor(banner), checkContext());
    expect(performance.now() - started).toBeLessThan(400);
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  // Whether the reset beats the connect callback is a race on loopback: either answer is fair, an
  // error or a wait for the timeout is not.
  it("a port that resets every connection gives an answer at once (ECONNRESET named when it lost the connect)", async () => {
    const started = performance.now();
    const out = await runCheck(monitor(reset), checkContext());
    expect(performance.now() - started).toBeLessThan(400);
    expect(out.kind).toBe("results");
    if (out.kind !== "results") return;
    const [result] = out.results;
    if (!result!.ok) expect(result!.message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: ECONNRESET$/);
  });
});
