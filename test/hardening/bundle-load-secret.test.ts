import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../runtime/app.js";
import { ArtifactError, loadArtifact } from "../../runtime/artifact.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";

/**
 * The bundle's top level runs in the code worker, whose environment holds the declared secrets; a
 * module that throws while loading may quote one (a config check that prints what it found). The
 * reason `wk run` refuses to start with is printed to the terminal and a CI or container log.
 */
const CANARY = "load-canary-6b2d-never-printed";

describe("a bundle that throws a secret while loading", () => {
  const dirs: string[] = [];
  const before = process.env["LOAD_TOKEN"];
  afterAll(async () => {
    if (before === undefined) delete process.env["LOAD_TOKEN"];
    else process.env["LOAD_TOKEN"] = before;
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("refuses the start naming the reason without the secret", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-load-secret-"));
    dirs.push(dir);
    process.env["LOAD_TOKEN"] = CANARY;
    const monitors = [monitorSpec({ id: "uses-code", code: { condition: true, summary: false, run: false, extract: false } })];
    await writeArtifact(join(dir, "artifact"), manifestOf(monitors, ["LOAD_TOKEN"]), 'throw new Error(`LOAD_TOKEN ${process.env.LOAD_TOKEN} is not a token`);\nexport default {};\n');
    const artifact = await loadArtifact(join(dir, "artifact"), { importBundle: false });
    const secrets = createSecretSource({ declared: ["LOAD_TOKEN"], env: process.env, now: Date.now });
    const error = await createRuntime({
      manifest: artifact.manifest,
      bundleUrl: artifact.bundleUrl,
      stateDir: join(dir, "state"),
      logger: pino({ level: "silent" }),
      secrets,
      port: 0,
      host: "127.0.0.1",
    }).then(
      async (runtime) => {
        await runtime.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as Error).message).toMatch(/monitors\.mjs did not load in the code worker: LOAD_TOKEN \[redacted\] is not a token/);
    expect((error as Error).message).not.toContain("6b2d");
  }, 60_000);
});
