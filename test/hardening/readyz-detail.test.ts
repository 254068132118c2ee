import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * /readyz answers anyone (probes send no token), so it says which monitors err, not why: a check
 * error names the target's host and port and may hold the first bytes of an answer, which the
 * detail API keeps for token holders.
 */
const TOKEN = "readyz-token-0123456789";
let dir: string;
let runtime: Runtime;
let url: string;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-readyz-"));
  const port = await closedPort();
  const manifest = manifestOf([
    monitorSpec({
      id: "orders-db",
      schedule: { kind: "every", every: "1h" },
      onError: "unknown",
      check: { kind: "prometheus", server: `http://127.0.0.1:${port}/internal-metrics`, query: "up", headers: {}, timeout: "2s" },
    }),
  ]);
  runtime = await createRuntime({
    manifest,
    bundle: {},
    stateDir: join(dir, "state"),
    logger: pino({ level: "silent" }),
    secrets: createSecretSource({ declared: [], env: { WATCHKEEPER_API_TOKEN: TOKEN }, now: Date.now }),
    port: 0,
    host: "127.0.0.1",
    spreadMs: 0,
  });
  url = await runtime.start();
  await runtime.tickNow("orders-db");
}, 30_000);

afterAll(async () => {
  await runtime?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("/readyz and an erroring monitor's reason", () => {
  it("names the erroring monitor to anyone, without its reason or the target", async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).erroringMonitors).toEqual([{ id: "orders-db", at: expect.any(Number) }]);
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain("internal-metrics");
  });

  it("gives the reason to a holder of the API token, as the detail API does", async () => {
    const body = (await (await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { erroringMonitors: Array<{ id: string; reason: string }> };
    expect(body.erroringMonitors).toEqual([{ id: "orders-db", reason: expect.stringContaining("127.0.0.1"), at: expect.any(Number) }]);
    const wrong = (await (await fetch(`${url}/readyz`, { headers: { authorization: "Bearer not-the-token" } })).json()) as { erroringMonitors: object[] };
    expect(wrong.erroringMonitors).toEqual([{ id: "orders-db", at: expect.any(Number) }]);
  });
});
