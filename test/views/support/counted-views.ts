import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Manifest } from "../../../sdk/manifest/index.js";
import { Router } from "../../../runtime/http/router.js";
import { createHttpServer, listen } from "../../../runtime/server/http-server.js";
import { SqliteStore } from "../../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes } from "../../../runtime/views/routes.js";

/**
 * The views of `manifest` on a real HTTP server over a SQLite store in a temporary folder, with
 * every call the views make of the store counted: what a flood of asks costs is read from `calls()`.
 * How old a kept render is reads a clock that stands still until `elapse(ms)` moves it: a flood that
 * a loaded machine serves slowly still comes within one render's lifetime, and no test sleeps it out.
 */
export async function countedViews(name: string, manifest: Manifest, secret: (name: string) => string | undefined = () => undefined) {
  const dir = await mkdtemp(join(tmpdir(), `wk-${name}-`));
  const store = SqliteStore.open(dir, Date.now());
  let calls = 0;
  let elapsed = 0;
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const router = new Router();
  const logger = pino({ level: "silent" });
  const views = registerViewRoutes(router, { manifest, store: counted, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret, monotonic: () => elapsed });
  const server = createHttpServer(router, logger);
  const url = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
  return {
    url,
    store,
    views,
    calls: () => calls,
    elapse(ms: number): void {
      elapsed += ms;
    },
    async close(): Promise<void> {
      views.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
