import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest } from "../../sdk/manifest/index.js";
import { Router } from "../../runtime/http/router.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const TOKEN = "views-http-attack-token";

/** Raw bytes out, the status line and the whole answer back (the connection is closed after one answer). */
function send(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let text = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${head.split("\r\n")[0]}`)));
    socket.on("data", (c: Buffer) => {
      text += c.toString("latin1");
      // An event stream never ends: its headers are the answer.
      if (/\r\n\r\n/.test(text) && /text\/event-stream/.test(text)) socket.destroy();
    });
    socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.on("error", reject);
  });
}

describe("views attack: odd HTTP at the pages", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-views-http-"));
    store = SqliteStore.open(dir, Date.now());
    const { hash: _hash, ...base } = manifestOf([monitorSpec({ id: "shop", name: "Shop" })], ["WATCHKEEPER_API_TOKEN"]);
    const manifest = sealManifest({ ...base, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Shop", monitors: ["shop"] }], source: "status.ts" }] });
    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined) });
    server = createHttpServer(router, logger);
    port = (await listen(server, 0, "127.0.0.1")).port;
  });
  afterAll(async () => {
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (target: string, method = "GET", extra = "") => send(port, `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\nconnection: close\r\n${extra}\r\n`);

  it("refuses an uptime badge window that is an object's built-in property name, as any other unknown window", async () => {
    for (const window of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const answer = await get(`/badge/shop.svg?type=uptime&window=${window}`);
      expect(answer.status, window).toBe(400);
      expect(answer.text).toContain("window must be one of 24h, 1d, 7d, 30d, 90d");
    }
  });

  it("never lets a shared cache hand the team's badge to the public: answers read with the token are private, and every badge varies on credentials", async () => {
    const header = (text: string, name: string) => new RegExp(`\r\n${name}: ([^\r]*)`, "i").exec(text)?.[1] ?? "";
    // A public monitor: the team sees its state ("firing", "silenced"), everyone else the customer word.
    const team = await get("/badge/shop.svg");
    expect(header(team.text, "cache-control")).toMatch(/\bprivate\b/);
    expect(header(team.text, "vary").toLowerCase()).toMatch(/authorization.*cookie|cookie.*authorization/);
    const anonymous = await send(port, "GET /badge/shop.svg HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
    expect(anonymous.status).toBe(200);
    expect(header(anonymous.text, "cache-control")).toBe("max-age=60");
    expect(header(anonymous.text, "vary").toLowerCase()).toContain("cookie");
    const uptime = await get("/badge/shop.svg?type=uptime&window=7d");
    expect(header(uptime.text, "cache-control")).toMatch(/\bprivate\b/);
  });

  it("answers every odd request with a 4xx or a page, never a 500 or silence", async () => {
    const big = "a".repeat(100 * 1024);
    const targets = [
      "/monitors/%2e%2e%2fhealthz",
      "/monitors/..%2F..%2Fetc%2Fpasswd",
      "/alerts/%ff%fe",
      "/alerts/%00/postmortem.md",
      "/alerts/a%2Fb/postmortem.md",
      "/badge/%E2%80%AE.svg",
      "/badge/.svg",
      "/badge/shop.svg?type=uptime&window=30d&window=7d",
      "/badge/shop.svg?type=uptime&window=%ff",
      "/status/%F0%9F%92%A5",
      "/?q=%ff&q=%&page=1e400&per=-1",
      "/?page=00000000000000000000000000000001",
      "/overview/rows?ids=" + ",".repeat(5_000),
      "/overview/rows?ids=shop&ids=shop",
      "/events?status=%ff",
      "/events?status=public&status=public",
      "/login?next=%0d%0aset-cookie:%20x=1",
      "/login?next=/%5C%5Cevil.example",
      `/monitors/${big.slice(0, 8_000)}`,
      "http://127.0.0.1/monitors/shop",
      "/monitors/shop#fragment",
      "//monitors//shop//",
    ];
    for (const target of targets) {
      const answer = await get(target);
      expect(answer.status, target).toBeGreaterThanOrEqual(200);
      expect(answer.status, target).toBeLessThan(500);
      expect(answer.text, target).not.toMatch(/\r\nset-cookie: x=1/i);
    }
    for (const method of ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "TRACE"]) {
      for (const target of ["/", "/monitors/shop", "/badge/shop.svg", "/status/public", "/login", "/assets/views.js"]) {
        const answer = await get(target, method);
        expect(answer.status, `${method} ${target}`).toBeGreaterThanOrEqual(200);
        expect(answer.status, `${method} ${target}`).toBeLessThan(500);
      }
    }
    // An id of 100 KB does not fit Node's header limit: refused before any handler, and the server goes on.
    expect((await get(`/monitors/${big}`)).status).toBe(431);
    expect((await get("/monitors/shop")).status).toBe(200);
  });
});
