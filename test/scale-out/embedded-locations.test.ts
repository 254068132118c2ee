import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** Embedded mode is the one location `local`: a monitor naming others runs from here and says so. */
describe("locations in embedded mode", () => {
  let dir: string;
  let runtime: Runtime;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-embedded-locations-"));
    const manifest = manifestOf([
      monitorSpec({ id: "geo", name: "Geo site", schedule: { kind: "every", every: "1h" }, locations: ["eu-west", "us-east"], quorum: 2 }),
      monitorSpec({ id: "plain", name: "Plain site", schedule: { kind: "every", every: "1h" } }),
    ], [], "Test status", { openReads: true });
    const secrets = createSecretSource({ declared: [], env: {}, now: Date.now });
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => [], destination: new Writable({ write: (_c, _e, done) => done() }) }),
      secrets,
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
    });
    url = await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("warns in /readyz and on the status page, and still checks the monitor from local", async () => {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; locationWarnings: Record<string, string> };
    expect(ready.ready).toBe(true);
    expect(Object.keys(ready.locationWarnings)).toEqual(["geo"]);
    expect(ready.locationWarnings.geo).toContain("checked from local only: locations eu-west, us-east need scale-out replicas");
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain("checked from local only");
    expect(page).not.toContain("<h2>Replicas</h2>");
    await runtime.tickNow("geo");
    expect((await runtime.store.latestResults()).has("geo")).toBe(true);
  });
});
