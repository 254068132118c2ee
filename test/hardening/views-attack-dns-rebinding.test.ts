import { mkdtemp, rm } from "node:fs/promises";
import { request, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { Writable } from "node:stream";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { Router, sendJson } from "../../runtime/http/router.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { chromium } from "playwright-core";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const SECRET_NAME = "Payments ledger (internal)";

/** A project that opened its views (`runtime.openReads`) and says where people reach it. */
function openManifest(): Manifest {
  const { hash: _hash, ...base } = manifestOf([monitorSpec({ id: "ledger", name: SECRET_NAME })]);
  return sealManifest({ ...base, settings: { statusPage: { title: "Status" }, publicUrl: "https://watchkeeper.example.com/", runtime: { ...DEFAULT_RUNTIME_SETTINGS, openReads: true } } });
}

/** One request with the Host header (and request target) the test chooses, as node sends them. */
function raw(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", setHost: false, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * DNS rebinding: an attacker's page on a name that re-resolves to the runtime's address is, for
 * the browser, the same origin as the runtime. With open reads it could read the internal views
 * through a colleague's browser; the Host it sends is the attacker's name, and is refused.
 */
describe("views attack: DNS rebinding", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rebind-"));
    const now = Date.now();
    store = SqliteStore.open(dir, now);
    const router = new Router();
    router.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));
    router.add("POST", "/heartbeat/:id", (_req, res, params) => sendJson(res, 404, { error: `no heartbeat monitor ${params["id"]}` }));
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest: openManifest(), store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: () => undefined });
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

  it("refuses the overview, a monitor page and the live stream to a Host the runtime does not answer to, naming the host and the fix", async () => {
    for (const path of ["/", "/monitors/ledger", "/events", "/silences", "/badge/ledger.svg", "/login"]) {
      const answer = await raw(port, path, `rebind.attacker.example:${port}`);
      expect(answer.status, path).toBe(421);
      expect(answer.body).not.toContain(SECRET_NAME);
      expect(JSON.parse(answer.body).error).toMatch(/does not answer to the host "rebind\.attacker\.example:\d+".*DNS rebinding.*watchkeeper\.example\.com.*settings\.publicUrl/);
    }
  });

  it("answers the hosts a runtime is really reached by: IP addresses, localhost, service names, the publicUrl's host", async () => {
    const hosts = [
      `127.0.0.1:${port}`, // a pod IP, as the kubelet's probes send it
      "10.42.0.17:8080",
      "[::1]:8080",
      "localhost:8080", // npm start, docker run -p 8080:8080
      "LOCALHOST",
      "grafana.localhost",
      "watchkeeper", // a Docker Compose or same-namespace service name
      "watchkeeper.monitoring.svc:8080",
      "watchkeeper.monitoring.svc.cluster.local",
      "watchkeeper.example.com",
      "WatchKeeper.Example.com.:443",
    ];
    for (const host of hosts) {
      const answer = await raw(port, "/", host);
      expect(answer.status, host).toBe(200);
      expect(answer.body).toContain(SECRET_NAME);
    }
    // HTTP/1.0 clients may send no Host at all; no browser does.
    const http10 = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.end("GET / HTTP/1.0\r\n\r\n"));
      let text = "";
      socket.on("data", (c) => (text += c.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(http10).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("refuses names that only look like the runtime's, and malformed Host headers", async () => {
    for (const host of ["127.0.0.1.nip.io", "localhost.attacker.example", "watchkeeper.example.com.attacker.example", "svc.cluster.local.attacker.example", "watchkeeper.monitoring", "user@127.0.0.1", "127.0.0.1/x", "", "a b"]) {
      expect((await raw(port, "/", host)).status, JSON.stringify(host)).toBe(421);
    }
  });

  it("checks the host an absolute-form request target names, too", async () => {
    const answer = await raw(port, "http://rebind.attacker.example/", `127.0.0.1:${port}`);
    expect(answer.status).toBe(421);
  });

  it("answers probes and heartbeat pings whatever the Host (kubelet, Prometheus, cron jobs use any name)", async () => {
    expect((await raw(port, "/healthz", "rebind.attacker.example")).status).toBe(200);
    const ping = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/heartbeat/nightly", method: "POST", setHost: false, headers: { host: "jobs.corp.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(ping).toBe(404);
  });

  it("answers the public status pages and what they load whatever the Host (status.example.com in front of the runtime)", async () => {
    for (const path of ["/status", "/assets/views.css", "/favicon.ico"]) {
      expect((await raw(port, path, "status.customer-facing.example")).status, path).not.toBe(421);
    }
  });

  it("in Chromium: a page on a rebound name cannot read the overview", async () => {
    // --host-resolver-rules plays the attacker's DNS: the name now resolves to the runtime's address.
    const browser = await chromium.launch({
      executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1"],
    });
    try {
      const page = await browser.newPage();
      const attacker = await page.goto(`http://rebind.attacker.test:${port}/`);
      expect(attacker?.status()).toBe(421);
      expect(await page.content()).not.toContain(SECRET_NAME);
      const own = await page.goto(`http://127.0.0.1:${port}/`);
      expect(own?.status()).toBe(200);
      expect(await page.content()).toContain(SECRET_NAME);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

/** The whole runtime as `wk run` builds it: the detail API, the pages and the machine routes on one port. */
describe("views attack: DNS rebinding against the whole runtime", () => {
  let dir: string;
  let runtime: Runtime;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rebind-runtime-"));
    const manifest = openManifest();
    const secrets = createSecretSource({ declared: manifest.secrets, env: {}, now: Date.now });
    runtime = await createRuntime({ manifest, bundle: {}, stateDir: join(dir, "state"), logger: createLogger({ secretValues: () => [], destination: new Writable({ write: (_c, _e, done) => done() }) }), secrets, port: 0, host: "127.0.0.1", spreadMs: 0, allowedHosts: ["wk.corp.example"] });
    port = Number(new URL(await runtime.start()).port);
  }, 30_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses the open detail API and pages to a rebound name, and still answers probes, metrics, heartbeats and webhooks", async () => {
    const rebound = "rebind.attacker.example";
    for (const path of ["/api/monitors", "/api/alerts", "/api/monitors/ledger", "/", "/emergency"]) {
      const answer = await raw(port, path, rebound);
      expect(answer.status, path).toBe(421);
      expect(answer.body, path).not.toContain(SECRET_NAME);
    }
    expect((await raw(port, "/api/monitors", `localhost:${port}`)).body).toContain(SECRET_NAME);
    // A name listed in WK_ALLOWED_HOSTS (the runtime's allowedHosts) is answered, by the API and the pages alike.
    expect((await raw(port, "/api/monitors", "wk.corp.example")).body).toContain(SECRET_NAME);
    expect((await raw(port, "/", `WK.corp.example:${port}`)).status).toBe(200);
    for (const path of ["/healthz", "/readyz", "/metrics", "/heartbeat/nightly", "/webhooks/pagerduty"]) {
      expect((await raw(port, path, rebound)).status, path).not.toBe(421);
    }
  });
});

/**
 * A project with closed views needs no Host check: the internal views need the API token or a
 * sign-in, and a browser never sends either to a rebound name (the session cookie belongs to the
 * name it was set for), so such a page reads only what is public anyway.
 */
describe("views attack: DNS rebinding, closed views", () => {
  it("answers any Host, and the internal views still need credentials", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-rebind-closed-"));
    const { hash: _hash, ...base } = manifestOf([monitorSpec({ id: "ledger", name: SECRET_NAME })]);
    const manifest = sealManifest({ ...base, settings: { ...base.settings, publicUrl: "https://watchkeeper.example.com/" } });
    const store = SqliteStore.open(dir, Date.now());
    const router = new Router();
    const logger = pino({ level: "silent" });
    const views = registerViewRoutes(router, { manifest, store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (name) => (name === "WATCHKEEPER_API_TOKEN" ? "t0ken-for-views" : undefined) });
    const server = createHttpServer(router, logger);
    const port = (await listen(server, 0, "127.0.0.1")).port;
    try {
      const overview = await raw(port, "/", "watchkeeper.corp.example");
      expect(overview.status).not.toBe(421);
      expect(overview.body).not.toContain(SECRET_NAME);
      expect((await raw(port, "/status", "watchkeeper.corp.example")).status).not.toBe(421);
    } finally {
      views.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
