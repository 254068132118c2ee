import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router } from "../http/router.js";
import { createHttpServer, listen } from "../server/http-server.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { monitorSpec, manifestOf } from "../../test/runtime/support/manifest.js";
import { safeNext } from "./login-page.js";
import { registerViewRoutes, type Views } from "./routes.js";

const TOKEN = "views-login-token-93b1";

let dir: string | null = null;
let store: SqliteStore | null = null;
let server: Server | null = null;
let views: Views | null = null;
afterEach(async () => {
  views?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  [dir, store, server, views] = [null, null, null, null];
});

async function start(trustProxy = false, reuseDir = false): Promise<string> {
  if (!reuseDir || !dir) dir = await mkdtemp(join(tmpdir(), "wk-views-login-"));
  store = SqliteStore.open(dir, Date.now());
  const router = new Router();
  const manifest = manifestOf([monitorSpec({ id: "site" })], ["WATCHKEEPER_API_TOKEN"]);
  const logger = pino({ level: "silent" });
  views = registerViewRoutes(router, { manifest, store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (name) => (name === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined), trustProxy });
  server = createHttpServer(router, logger);
  const { port } = await listen(server, 0, "127.0.0.1");
  return `http://127.0.0.1:${port}`;
}

const signIn = (base: string, next: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/login`, { method: "POST", redirect: "manual", body: new URLSearchParams({ token: TOKEN, next }).toString(), headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });

describe("signing in returns only to a path on this site", () => {
  it("never sends the browser to another site through a tab or newline that browsers drop from the Location", () => {
    // `/<tab>/evil.example` is `//evil.example` to a browser's URL parser.
    for (const bad of ["/\t/evil.example", "/\t\\evil.example", "/\n/evil.example", "/\r/evil.example", "/ /x", "/\u0000x", "/日本"]) {
      expect(safeNext(bad), JSON.stringify(bad)).toBe("/");
      expect(new URL(safeNext(bad), "https://wk.example/").host).toBe("wk.example");
    }
    expect(safeNext("/monitors/site?q=caf%C3%A9")).toBe("/monitors/site?q=caf%C3%A9");
  });

  it("answers a sign-in with a next path of tabs or non-ASCII characters by going home, never to another site nor with a 500", async () => {
    const base = await start();
    for (const next of ["/\t/evil.example", "/日本", "/\u0001"]) {
      const res = await signIn(base, next);
      expect(res.status, JSON.stringify(next)).toBe(303);
      expect(res.headers.get("location"), JSON.stringify(next)).toBe("/");
    }
    expect((await signIn(base, "/monitors/site")).headers.get("location")).toBe("/monitors/site");
  });
});

describe("signing out", () => {
  it("refuses a sign-out posted by a page on another site, which would clear the session cookie", async () => {
    const base = await start();
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }] as Array<Record<string, string>>) {
      const res = await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers });
      expect(res.status).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const own = await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers: { origin: base } });
    expect(own.status).toBe(303);
    expect(own.headers.get("set-cookie")).toContain("Max-Age=0");
  });
});

describe("signing out ends the session on the server", () => {
  const sessionOf = (res: Response) => /wk_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")![1]!;
  const overview = (base: string, cookie: string) => fetch(`${base}/`, { redirect: "manual", headers: { cookie: `wk_session=${cookie}` } });

  it("refuses a copy of the cookie taken before the browser signed out, on pages and the live stream", async () => {
    const base = await start();
    const copied = sessionOf(await signIn(base, "/"));
    const other = sessionOf(await signIn(base, "/"));
    expect((await overview(base, copied)).status).toBe(200);
    const out = await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers: { origin: base, cookie: `wk_session=${copied}` } });
    expect(out.status).toBe(303);
    const after = await overview(base, copied);
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/login?next=%2F");
    expect((await fetch(`${base}/events`, { headers: { cookie: `wk_session=${copied}` } })).status).toBe(401);
    // Another browser's session of the same team is not signed out with it.
    expect((await overview(base, other)).status).toBe(200);
  });

  it("keeps a signed-out session refused after the runtime restarts", async () => {
    const base = await start();
    const copied = sessionOf(await signIn(base, "/"));
    expect((await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers: { origin: base, cookie: `wk_session=${copied}` } })).status).toBe(303);
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    store?.close();
    const again = await start(false, true);
    expect((await overview(again, copied)).status).toBe(303);
  });
});

describe("the sign-in limit behind a trusted proxy", () => {
  const attempt = (base: string, token: string, from: string) =>
    fetch(`${base}/login`, { method: "POST", redirect: "manual", body: new URLSearchParams({ token, next: "/" }).toString(), headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": from } });

  it("counts each forwarded client apart: one guessing tokens does not lock the others out", async () => {
    const base = await start(true);
    let limited = false;
    for (let n = 0; n < 15 && !limited; n++) limited = (await attempt(base, "wrong-token", "203.0.113.7")).status === 429;
    expect(limited).toBe(true);
    // Every client reaches the runtime from the proxy's address; another one still signs in.
    const other = await attempt(base, TOKEN, "198.51.100.20");
    expect(other.status).toBe(303);
    expect(other.headers.get("set-cookie")).toContain("wk_session=");
  });

  it("without a trusted proxy, ignores the forwarded address a client makes up", async () => {
    const base = await start(false);
    let limited = false;
    for (let n = 0; n < 15 && !limited; n++) limited = (await attempt(base, "wrong-token", `203.0.113.${n}`)).status === 429;
    expect(limited).toBe(true);
  });
});

describe("the session cookie behind a TLS proxy", () => {
  const secure = (res: Response) => /;\s*Secure\b/i.test(res.headers.get("set-cookie") ?? "");

  it("is Secure when the trusted proxy says the browser came over https, though no publicUrl says so", async () => {
    const base = await start(true);
    const signedIn = await signIn(base, "/", { "x-forwarded-proto": "https" });
    expect(signedIn.status).toBe(303);
    expect(secure(signedIn)).toBe(true);
    // A proxy that appends to what the client sent: the last entry is the proxy's own.
    expect(secure(await signIn(base, "/", { "x-forwarded-proto": "http, https" }))).toBe(true);
    expect(secure(await signIn(base, "/", { "x-forwarded-proto": "https, http" }))).toBe(false);
    const out = await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers: { origin: base, "x-forwarded-proto": "https" } });
    expect(secure(out)).toBe(true);
  });

  it("without a trusted proxy, a forwarded scheme a client sends changes nothing", async () => {
    const base = await start(false);
    expect(secure(await signIn(base, "/", { "x-forwarded-proto": "https" }))).toBe(false);
  });
});
