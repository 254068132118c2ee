import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Router } from "../../runtime/http/router.js";
import { issueSession, SESSION_TTL_MS } from "../../runtime/http/session.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

// The team's live stream says which monitors change and how. It is authorised when it opens; a
// stream held open must not outlive the credentials it was opened with: rotating a leaked
// WATCHKEEPER_API_TOKEN "signs everyone out" (docs/views.md), and a session lasts 12 hours.

const logger = pino({ level: "silent" });
let dir: string;
let store: SqliteStore;
let server: Server | null = null;
let views: Views | null = null;
let base = "";
let token = "first-token-a41c";
let now = Date.parse("2026-12-01T12:00:00Z");

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-stream-revocation-"));
  store = SqliteStore.open(dir, now);
  const router = new Router();
  const manifest = testManifest({ monitors: [testMonitor("checkout")], secrets: ["WATCHKEEPER_API_TOKEN"] });
  views = registerViewRoutes(router, {
    manifest,
    store,
    clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) },
    logger,
    secret: (name) => (name === "WATCHKEEPER_API_TOKEN" ? token : undefined),
    events: { heartbeatMs: 50, pollMs: 3_600_000 },
  });
  server = createHttpServer(router, logger);
  base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
});
afterEach(async () => {
  views?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  store.close();
  await rm(dir, { recursive: true, force: true });
  [server, views, token, now] = [null, null, "first-token-a41c", Date.parse("2026-12-01T12:00:00Z")];
});

type Reader = ReadableStreamDefaultReader<Uint8Array>;
const readers: Reader[] = [];
afterEach(() => void readers.splice(0).forEach((r) => void r.cancel().catch(() => undefined)));

async function stream(headers: Record<string, string>): Promise<{ status: number; reader: Reader }> {
  const res = await fetch(`${base}/events`, { headers });
  const reader = res.body!.getReader();
  readers.push(reader);
  return { status: res.status, reader };
}

/** Reads the stream until it ends or `ms` pass; true when it ended. */
async function endsWithin(reader: Reader, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  // One read stays pending across calls: a read that lost the race is awaited by the next call.
  let pending: ReturnType<Reader["read"]> | null = null;
  while (Date.now() < deadline) {
    pending ??= reader.read();
    const read = await Promise.race([pending, new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))]);
    if (read === null) return false;
    pending = null;
    if (read.done) return true;
  }
  return false;
}

describe("a team stream held open outlives no credential", () => {
  it("ends a stream opened with a bearer token once the token is rotated; one opened with the new token goes on", async () => {
    const old = await stream({ authorization: `Bearer ${token}` });
    expect(old.status).toBe(200);
    token = "rotated-token-9e27";
    const fresh = await stream({ authorization: `Bearer ${token}` });
    expect(fresh.status).toBe(200);
    expect(await endsWithin(old.reader, 2_000)).toBe(true);
    expect(await endsWithin(fresh.reader, 500)).toBe(false);
    expect((await fetch(`${base}/events`, { headers: { authorization: "Bearer first-token-a41c" } })).status).toBe(401);
  });

  it("ends a signed-in browser's stream once its session expires", async () => {
    const cookie = `wk_session=${issueSession(token, now)}`;
    const signedIn = await stream({ cookie });
    expect(signedIn.status).toBe(200);
    now += SESSION_TTL_MS - 60_000;
    expect(await endsWithin(signedIn.reader, 300)).toBe(false);
    now += 60_001;
    expect((await fetch(`${base}/events`, { headers: { cookie } })).status).toBe(401);
    expect(await endsWithin(signedIn.reader, 2_000)).toBe(true);
  });
});
