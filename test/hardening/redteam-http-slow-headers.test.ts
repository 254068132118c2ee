import type { Server } from "node:http";
import { connect } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router, sendJson } from "../../runtime/http/router.js";
import { closeServer, createHttpServer, listen } from "../../runtime/server/http-server.js";

let server: Server | null = null;
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

describe("a client that sends its headers slowly is cut off when docs/security.md says (10 s)", () => {
  it("answers 408 and closes within about 10 s to a client that trickles header lines", async () => {
    server = createHttpServer(new Router().add("GET", "/healthz", (_q, res) => sendJson(res, 200, { status: "ok" })), pino({ level: "silent" }));
    const { port } = await listen(server, 0, "127.0.0.1");
    const started = Date.now();
    const { after, status } = await new Promise<{ after: number; status: string }>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
      const trickle = setInterval(() => socket.write("X-Slow: 1\r\n"), 1_000);
      let answer = "";
      socket.on("data", (d) => (answer += d.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(trickle);
        resolve({ after: Date.now() - started, status: answer.split("\r\n")[0] ?? "" });
      });
      setTimeout(() => socket.destroy(), 25_000).unref();
    });
    expect(status).toBe("HTTP/1.1 408 Request Timeout");
    expect(after).toBeGreaterThanOrEqual(9_500);
    expect(after).toBeLessThan(13_000);
  }, 30_000);
});
