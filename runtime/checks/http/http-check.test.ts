import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { CheckError } from "../check-error.js";
import { checkContext } from "../../../test/support/check-context.js";
import { selfSignedCert, type TestKey } from "../../../test/support/tls.js";
import { runHttpCheck } from "./http-check.js";

const TOKEN = "canary-9f8e7d6c-secret-token";
let server: Server;
let base: string;
let garbage: TcpServer;
let garbageUrl: string;

function spec(path: string, overrides: Partial<CheckSpecOf<"http">> = {}, expectOverrides: Partial<CheckSpecOf<"http">["expect"]> = {}): CheckSpecOf<"http"> {
  return {
    kind: "http",
    url: path.startsWith("http") ? path : `${base}${path}`,
    method: "GET",
    headers: {},
    body: null,
    timeout: "2s",
    followRedirects: true,
    ...overrides,
    expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null, ...expectOverrides },
  };
}

function listen(s: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    switch (url.pathname) {
      case "/ok":
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-version": "1.2.3" });
        res.end(JSON.stringify({ status: "up", queue: { depth: 5 }, items: [{ id: "a" }], ratio: "0.25" }));
        return;
      case "/slow":
        setTimeout(() => res.end("late"), 300);
        return;
      case "/hang":
        return; // never answers
      case "/redirect":
        res.writeHead(302, { location: "/ok" }).end();
        return;
      case "/unavailable":
        res.writeHead(503).end("down");
        return;
      case "/echo": {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () =>
          res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), auth: req.headers.authorization ?? null })),
        );
        return;
      }
      case "/endless": {
        // An endless body: the check must stop reading at its cap instead of buffering forever.
        const chunk = Buffer.alloc(64 * 1024, 120);
        res.writeHead(200);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
        return;
      }
      default:
        res.writeHead(404).end();
    }
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  garbage = createTcpServer((socket) => socket.once("data", () => socket.end("\x00\x01garbage that is not HTTP\r\n\r\n")));
  garbageUrl = `http://127.0.0.1:${await listen(garbage)}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => garbage.close(r));
});

describe("http check", () => {
  it("passes on a 2xx and reports the latency in ms as its value", async () => {
    const [result] = await runHttpCheck(spec("/ok"), checkContext());
    expect(result!.ok).toBe(true);
    expect(result!.value).toBeGreaterThan(0);
    expect(result!.details).toMatchObject({ status: 200, method: "GET" });
  });

  it("fails on a status outside the expected list and says which status came back", async () => {
    const [anyTwoXx] = await runHttpCheck(spec("/unavailable"), checkContext());
    expect(anyTwoXx!.ok).toBe(false);
    expect(anyTwoXx!.message).toContain("expected status 2xx, got 503");
    const [listed] = await runHttpCheck(spec("/unavailable", {}, { status: [200, 503] }), checkContext());
    expect(listed!.ok).toBe(true);
  });

  it("follows redirects when asked, and judges the redirect itself otherwise", async () => {
    const [followed] = await runHttpCheck(spec("/redirect"), checkContext());
    expect(followed!.ok).toBe(true);
    expect(followed!.details.status).toBe(200);
    const [notFollowed] = await runHttpCheck(spec("/redirect", { followRedirects: false }), checkContext());
    expect(notFollowed!.ok).toBe(false);
    expect(notFollowed!.details.status).toBe(302);
  });

  it("sends the method, body and secret headers it is given", async () => {
    const check = spec(
      "/echo",
      { method: "POST", body: "ping", headers: { authorization: { secret: "API_TOKEN" } } },
      { json: [{ path: "method", equals: "POST" }, { path: "body", equals: "ping" }, { path: "auth", exists: true }] },
    );
    const [result] = await runHttpCheck(check, checkContext({ secrets: { API_TOKEN: TOKEN } }));
    expect(result!.ok).toBe(true);
  });

  it("a missing secret is an error that names the secret", async () => {
    const check = spec("/echo", { headers: { authorization: { secret: "API_TOKEN" } } });
    await expect(runHttpCheck(check, checkContext())).rejects.toThrow(/secret API_TOKEN is not set/);
  });

  it("never puts a secret header value into its result, even when the target echoes it", async () => {
    const check = spec("/echo", { headers: { authorization: { secret: "API_TOKEN" } } }, {
      bodyContains: "never-there",
      json: [{ path: "auth", equals: "something else" }],
    });
    const [result] = await runHttpCheck(check, checkContext({ secrets: { API_TOKEN: TOKEN } }));
    expect(result!.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("checks JSON body assertions by dotted path: equals, threshold and exists", async () => {
    const passing = spec("/ok", {}, {
      json: [
        { path: "status", equals: "up" },
        { path: "queue.depth", threshold: { op: "<", value: 10 } },
        { path: "items.0.id", exists: true },
        { path: "ratio", threshold: { op: "<=", value: 0.5 } },
        { path: "error", exists: false },
      ],
    });
    expect((await runHttpCheck(passing, checkContext()))[0]!.ok).toBe(true);
    const failing = spec("/ok", {}, {
      json: [
        { path: "status", equals: "down" },
        { path: "queue.depth", threshold: { op: ">", value: 10 } },
        { path: "items.3.id", exists: true },
      ],
    });
    const [result] = await runHttpCheck(failing, checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toContain('JSON status is "up", expected "down"');
    expect(result!.message).toContain("JSON queue.depth is 5, expected > 10");
    expect(result!.message).toContain("JSON items.3.id is missing");
  });

  it("fails JSON assertions on a body that is not JSON", async () => {
    const [result] = await runHttpCheck(spec("/unavailable", {}, { status: [503], json: [{ path: "a", exists: true }] }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe("body is not JSON");
  });

  it("checks expected headers (value contains, name case-insensitive) and bodyContains", async () => {
    const ok = spec("/ok", {}, { headers: { "Content-Type": "application/json", "x-version": "1.2" }, bodyContains: '"status":"up"' });
    expect((await runHttpCheck(ok, checkContext()))[0]!.ok).toBe(true);
    const [bad] = await runHttpCheck(spec("/ok", {}, { headers: { "x-missing": "1" }, bodyContains: "absent" }), checkContext());
    expect(bad!.message).toContain("header x-missing is missing");
    expect(bad!.message).toContain('body does not contain "absent"');
  });

  it("fails a response slower than maxLatency", async () => {
    const [result] = await runHttpCheck(spec("/slow", {}, { maxLatency: "100ms" }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toMatch(/latency \d+ms is over 100ms/);
    expect(result!.value).toBeGreaterThanOrEqual(290);
  });

  it("a target that never answers is cut off at the check timeout as a timeout error", async () => {
    const started = Date.now();
    const error = await runHttpCheck(spec("/hang", { timeout: "300ms" }), checkContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckError);
    expect((error as CheckError).reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("stops reading an endless body at its size cap", async () => {
    const [result] = await runHttpCheck(spec("/endless", {}, { bodyContains: "needle" }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.details.bodyTruncated).toBe(true);
    expect(result!.message).toContain("searched the first 1 MiB");
  });

  it("a target answering garbage instead of HTTP is a bad-response error", async () => {
    const error = await runHttpCheck(spec(garbageUrl), checkContext()).catch((e: unknown) => e);
    expect((error as CheckError).reason).toBe("bad-response");
  });

  it("a closed port is an unreachable error that names the URL without credentials", async () => {
    const closed = createTcpServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    const error = await runHttpCheck(spec(`http://user:hunter2@127.0.0.1:${port}/x`), checkContext()).catch((e: unknown) => e);
    expect((error as CheckError).reason).toBe("unreachable");
    expect((error as CheckError).message).toContain(`connection refused by http://127.0.0.1:${port}/x`);
    expect((error as CheckError).message).not.toContain("hunter2");
  });
});

describe("http check HEAD", () => {
  it("a HEAD check with body expectations is a config error, not a pass that never read a body", async () => {
    await expect(runHttpCheck(spec("/ok", { method: "HEAD" }, { bodyContains: "nowhere in the body" }), checkContext())).rejects.toMatchObject({
      reason: "config",
      message: expect.stringContaining("HEAD"),
    });
    await expect(runHttpCheck(spec("/ok", { method: "HEAD" }, { json: [{ path: "status", equals: "ok" }] }), checkContext())).rejects.toMatchObject({ reason: "config" });
    const [plain] = await runHttpCheck(spec("/ok", { method: "HEAD" }), checkContext());
    expect(plain!.ok).toBe(true);
  });
});

describe("http check TLS certificate expiry", () => {
  async function httpsServer(days: number, leafKey?: TestKey) {
    const { key, cert } = await selfSignedCert(days, leafKey);
    const s = createHttpsServer({ key, cert }, (_req, res) => res.end("secure"));
    const port = await listen(s);
    const trusting = new Agent({ connect: { ca: cert } });
    return {
      url: `https://127.0.0.1:${port}/`,
      trusting,
      async close() {
        await trusting.close();
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      },
    };
  }

  it("fails when the certificate expires within tlsExpiryWithin and passes when it does not", async () => {
    const soon = await httpsServer(10);
    const later = await httpsServer(400);
    try {
      const now = new Date();
      const [expiring] = await runHttpCheck(spec(soon.url, {}, { tlsExpiryWithin: "30d" }), checkContext({ now, dispatcher: soon.trusting }));
      expect(expiring!.ok).toBe(false);
      expect(expiring!.message).toMatch(/TLS certificate expires on \d{4}-\d\d-\d\dT.*, within 720h/);
      const expiresAt = new Date(String(expiring!.details.certificateExpiresAt));
      expect(Math.round((expiresAt.getTime() - now.getTime()) / 86_400_000)).toBe(10);
      const [fine] = await runHttpCheck(spec(later.url, {}, { tlsExpiryWithin: "30d" }), checkContext({ now, dispatcher: later.trusting }));
      expect(fine!.ok).toBe(true);
    } finally {
      await soon.close();
      await later.close();
    }
  });

  it("asking for TLS expiry on a plain http URL is a config error", async () => {
    await expect(runHttpCheck(spec("/ok", {}, { tlsExpiryWithin: "14d" }), checkContext())).rejects.toMatchObject({ reason: "config" });
  });

  it("a trusted certificate with a 1024-bit RSA key fails a certificate check, naming the key and the minimum", async () => {
    const weak = await httpsServer(400, { rsa: 1024 });
    try {
      const [result] = await runHttpCheck(spec(weak.url, {}, { tlsExpiryWithin: "14d" }), checkContext({ dispatcher: weak.trusting }));
      expect(result!.ok).toBe(false);
      expect(result!.message).toBe("TLS certificate key is RSA 1024 bits, below the minimum of 2048 bits");
      expect(result!.details.certificateKey).toBe("RSA 1024 bits");
    } finally {
      await weak.close();
    }
  });

  it("tlsMinKey sets the minimum, reads the certificate on its own, and false accepts any key", async () => {
    const weak = await httpsServer(400, { rsa: 1024 });
    const ec = await httpsServer(400);
    try {
      const [lowered] = await runHttpCheck(spec(weak.url, {}, { tlsMinKey: { rsa: 1024, ec: 256 } }), checkContext({ dispatcher: weak.trusting }));
      expect(lowered!.ok).toBe(true);
      expect(lowered!.details.certificateKey).toBe("RSA 1024 bits");
      const [optedOut] = await runHttpCheck(spec(weak.url, {}, { tlsExpiryWithin: "14d", tlsMinKey: false }), checkContext({ dispatcher: weak.trusting }));
      expect(optedOut!.ok).toBe(true);
      const [raised] = await runHttpCheck(spec(ec.url, {}, { tlsMinKey: { rsa: 3072, ec: 384 } }), checkContext({ dispatcher: ec.trusting }));
      expect(raised!.ok).toBe(false);
      expect(raised!.message).toBe("TLS certificate key is EC 256 bits (prime256v1), below the minimum of 384 bits");
    } finally {
      await weak.close();
      await ec.close();
    }
  });

  it("a strong key passes the default minimum", async () => {
    const strong = await httpsServer(400, { rsa: 2048 });
    try {
      const [result] = await runHttpCheck(spec(strong.url, {}, { tlsExpiryWithin: "14d" }), checkContext({ dispatcher: strong.trusting }));
      expect(result!.ok).toBe(true);
      expect(result!.details.certificateKey).toBe("RSA 2048 bits");
    } finally {
      await strong.close();
    }
  });

  it("asking for a key minimum on a plain http URL is a config error", async () => {
    await expect(runHttpCheck(spec("/ok", {}, { tlsMinKey: { rsa: 2048, ec: 256 } }), checkContext())).rejects.toMatchObject({ reason: "config", message: expect.stringContaining("tlsMinKey needs an https URL") });
  });

  it("judges the certificate of the connection the request went over, not one read over a second connection", async () => {
    // Round-robin DNS (or an interceptor on one connection): the request reaches a server whose
    // certificate is good for 400 days, while the URL's address also answers with one that expires in 10.
    const served = await selfSignedCert(400);
    const other = await httpsServer(10);
    const servedServer = createHttpsServer(served, (_req, res) => res.end("secure"));
    const servedPort = await listen(servedServer);
    const reachesServed = new Agent({
      connect: (_opts, callback) => {
        const socket = tlsConnect({ host: "127.0.0.1", port: servedPort, ca: served.cert });
        socket.once("secureConnect", () => callback(null, socket));
        socket.once("error", (error) => callback(error, null));
      },
    });
    try {
      const now = new Date();
      const [result] = await runHttpCheck(spec(other.url, {}, { tlsExpiryWithin: "30d" }), checkContext({ now, dispatcher: reachesServed }));
      expect(result!.ok).toBe(true);
      expect(new Date(result!.details.certificateExpiresAt as string).getTime()).toBeGreaterThan(now.getTime() + 300 * 86_400_000);
    } finally {
      await reachesServed.close();
      servedServer.closeAllConnections();
      await new Promise((r) => servedServer.close(r));
      await other.close();
    }
  });

  /** A root, an intermediate valid for `intermediateDays` and a leaf for 127.0.0.1 valid for 400 days that it signs. */
  async function chain(intermediateDays: number): Promise<{ root: string; key: string; cert: string }> {
    const run = promisify(execFile);
    const openssl = process.env.WK_OPENSSL_BIN ?? "openssl";
    const dir = await mkdtemp(join(tmpdir(), "wk-chain-"));
    const at = (name: string) => join(dir, name);
    try {
      await writeFile(at("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
      await writeFile(at("leaf.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
      const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
      await run(openssl, ["req", "-x509", ...ec, "-days", "3650", "-subj", "/CN=Test Root", "-keyout", at("root.key"), "-out", at("root.pem")]);
      await run(openssl, ["req", ...ec, "-subj", "/CN=Test Intermediate", "-keyout", at("int.key"), "-out", at("int.csr")]);
      await run(openssl, ["x509", "-req", "-in", at("int.csr"), "-CA", at("root.pem"), "-CAkey", at("root.key"), "-CAcreateserial", "-days", String(intermediateDays), "-extfile", at("ca.ext"), "-out", at("int.pem")]);
      await run(openssl, ["req", ...ec, "-subj", "/CN=localhost", "-keyout", at("leaf.key"), "-out", at("leaf.csr")]);
      await run(openssl, ["x509", "-req", "-in", at("leaf.csr"), "-CA", at("int.pem"), "-CAkey", at("int.key"), "-CAcreateserial", "-days", "400", "-extfile", at("leaf.ext"), "-out", at("leaf.pem")]);
      const [root, key, leaf, intermediate] = await Promise.all(["root.pem", "leaf.key", "leaf.pem", "int.pem"].map((f) => readFile(at(f), "utf8")));
      return { root: root!, key: key!, cert: leaf! + intermediate! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("warns of the served chain's first expiry: an intermediate that expires before the leaf", async () => {
    const pki = await chain(5);
    const s = createHttpsServer({ key: pki.key, cert: pki.cert }, (_req, res) => res.end("secure"));
    const port = await listen(s);
    const trusting = new Agent({ connect: { ca: pki.root } });
    try {
      const now = new Date();
      const [result] = await runHttpCheck(spec(`https://127.0.0.1:${port}/`, {}, { tlsExpiryWithin: "30d" }), checkContext({ now, dispatcher: trusting }));
      expect(result!.ok).toBe(false);
      expect(result!.message).toMatch(/^TLS certificate "Test Intermediate" in the chain expires on .*, within 720h$/);
      expect(new Date(result!.details.chainExpiresAt as string).getTime()).toBeLessThan(now.getTime() + 6 * 86_400_000);
      expect(result!.details).toMatchObject({ certificateSubject: "localhost", chainExpiresFirst: "Test Intermediate" });
    } finally {
      await trusting.close();
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it("an untrusted certificate is a TLS error", async () => {
    const s = await httpsServer(400);
    try {
      const error = await runHttpCheck(spec(s.url), checkContext()).catch((e: unknown) => e);
      expect((error as CheckError).reason).toBe("tls");
    } finally {
      await s.close();
    }
  });
});
