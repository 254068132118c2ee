import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createDelivery } from "../../runtime/notify/index.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";

/**
 * The routing keys `wk deploy` wrote are secrets the runtime reads from a file, not from its secret
 * source. Project code can read that file as it can read /proc/self/environ: what a script returns
 * is scrubbed of them as of every declared secret, and the runtime names them for its log.
 */
const KEY = "fileroutingkey0canary0000000000a";
const OLD_KEY = "fileroutingkey0replaced000000000";

describe("routing keys from the routing keys file", () => {
  let dir = "";
  let runtime: Runtime | null = null;
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("are scrubbed from what a script returns, and are among the secrets the runtime names for its log", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-key-file-"));
    const file = join(dir, "routing-keys.json");
    await writeFile(file, JSON.stringify({ shop: KEY, $previous: { shop: [OLD_KEY] } }));
    const manifest = testManifest({
      monitors: [testMonitor("reads-keys", { schedule: { kind: "every", every: "1s" }, service: "shop", check: { kind: "script", timeout: "2s" }, code: { condition: false, summary: false, run: true, extract: false } })],
      services: [testService("shop")],
      secrets: [],
    });
    runtime = await createRuntime({
      manifest,
      bundle: { "reads-keys": { run: () => ({ ok: true, message: `found ${readFileSync(file, "utf8")}`, details: { raw: readFileSync(file, "utf8") } }) } },
      stateDir: join(dir, "state"),
      logger: pino({ level: "silent" }),
      secrets: createSecretSource({ declared: [], env: {}, now: Date.now }),
      delivery: (deps) => createDelivery(deps, { settings: { routingKeysFile: file } }),
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
    });
    await runtime.start();
    const results = await vi.waitFor(async () => {
      const rows = await runtime!.store.recentResults("reads-keys");
      expect(rows.length).toBeGreaterThan(0);
      return rows;
    }, { timeout: 20_000, interval: 50 });
    const text = JSON.stringify(results);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain("fileroutingkey0");
    expect(runtime.secretValues()).toEqual(expect.arrayContaining([KEY, OLD_KEY]));
  }, 60_000);
});
