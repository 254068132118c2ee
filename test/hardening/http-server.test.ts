import type { Server } from "node:http";
import { request } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router, sendJson } from "../../runtime/http/router.js";
import { closeServer, createHttpServer, listen } from "../../runtime/server/http-server.js";

let server: Server | null = null;
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

async function serve(router: Router): Promise<{ base: string; lines: string[] }> {
  const lines: string[] = [];
  server = createHttpServer(router, pino({ level: "debug" }, { write: (l: string) => void lines.push(l) }));
  const { port } = await listen(server, 0, "127.0.0.1");
  return { base: `http://127.0.0.1:${port}`, lines };
}

describe("the runtime's HTTP server ends a failing request, never the process", () => {
  it("answers 500 to a handler that throws or rejects, logs it without the query string, and keeps serving", async () => {
    const router = new Router()
      .add("GET", "/sync/:id", () => {
        throw new Error("a bug");
      })
      .add("GET", "/async", async () => {
        await Promise.resolve();
        throw new TypeError("another bug");
      })
      .add("GET", "/half", (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial");
        throw new Error("after the headers");
      })
      .add("GET", "/ok", (_req, res) => sendJson(res, 200, { ok: true }));
    const { base, lines } = await serve(router);
    for (const path of ["/sync/a?token=s3cr3t-query", "/async"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(500);
      expect(await res.json()).toEqual({ error: "internal error" });
    }
    // Headers already sent: the response is ended, the client sees a short body, not a hang.
    expect(await (await fetch(`${base}/half`)).text()).toBe("partial");
    expect((await fetch(`${base}/ok`)).status).toBe(200);
    const logged = lines.join("\n");
    expect(logged).toContain("request handler failed");
    expect(logged).toContain('"path":"/sync/a"');
    expect(logged).not.toContain("s3cr3t-query");
  });

  it("answers 400 to a route parameter that is not percent-encoded UTF-8, and 405/404 as before", async () => {
    const router = new Router().add("GET", "/heartbeat/:id", (_req, res, params) => sendJson(res, 200, { id: params["id"] }));
    const { base } = await serve(router);
    for (const bad of ["%ff", "%E0%A4%A", "%", "%C3%28", "%ED%A0%80"]) expect((await fetch(`${base}/heartbeat/${bad}`)).status, bad).toBe(400);
    expect(await (await fetch(`${base}/heartbeat/caf%C3%A9`)).json()).toEqual({ id: "café" });
    expect((await fetch(`${base}/heartbeat/x`, { method: "PUT" })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("answers HEAD like GET without a body, and routes an absolute-form request target by its path", async () => {
    const router = new Router().add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));
    const { base } = await serve(router);
    const head = await fetch(`${base}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const port = Number(new URL(base).port);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: `http://127.0.0.1:${port}/healthz`, method: "GET" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
  });
});
