import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../runtime/app.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

/**
 * A secret shorter than 4 characters cannot be told from ordinary text ("abc", "123"), so it is
 * not redacted from logs, results or pages: the operator is told at start-up, by name.
 */
describe("a declared secret too short to redact", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is named in a start-up warning that says it is not redacted, and its value is not", async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-short-secret-"));
    let text = "";
    const destination = new Writable({ write(chunk, _e, done) { text += String(chunk); done(); } });
    const secrets = createSecretSource({ declared: ["PIN", "TOKEN"], env: { PIN: "7q!", TOKEN: "long-enough-token" }, now: Date.now });
    const runtime = await createRuntime({
      manifest: testManifest({ monitors: [testMonitor("api")], secrets: ["PIN", "TOKEN"] }),
      bundle: {},
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => secrets.values(), destination }),
      secrets,
      port: 0,
      host: "127.0.0.1",
    });
    await runtime.stop();
    const warnings = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { level: number; secret?: string; msg: string });
    const short = warnings.filter((w) => w.secret === "PIN" && w.level === 40);
    expect(short).toHaveLength(1);
    expect(short[0]!.msg).toMatch(/PIN is shorter than 4 characters.*not redacted/);
    expect(text).not.toContain("7q!");
    expect(warnings.some((w) => w.secret === "TOKEN" && /shorter/.test(w.msg))).toBe(false);
  }, 30_000);

  it("names a secret with a space, tab or extra line break around its value, which no header, URL or routing key carries, without quoting it", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "wk-spaced-secret-"));
    let text = "";
    const destination = new Writable({ write(chunk, _e, done) { text += String(chunk); done(); } });
    const env = { SPACED: "routing-key-value ", TABBED: "\tapi-token-value", BREAKS: "webhook-value\n\n", CLEAN: "clean-value\n" };
    const secrets = createSecretSource({ declared: Object.keys(env), env, now: Date.now });
    try {
      const runtime = await createRuntime({
        manifest: testManifest({ monitors: [testMonitor("api")], secrets: Object.keys(env) }),
        bundle: {},
        stateDir: join(stateDir, "state"),
        logger: createLogger({ secretValues: () => secrets.values(), destination }),
        secrets,
        port: 0,
        host: "127.0.0.1",
      });
      await runtime.stop();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
    const warnings = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { level: number; secret?: string; msg: string });
    const spaced = warnings.filter((w) => w.level === 40 && /space, a tab or a line break/.test(w.msg)).map((w) => w.secret);
    expect(spaced.sort()).toEqual(["BREAKS", "SPACED", "TABBED"]);
    expect(warnings.find((w) => w.secret === "SPACED" && /space, a tab/.test(w.msg))!.msg).toMatch(/secret SPACED starts or ends with a space, a tab or a line break/);
    for (const value of ["routing-key-value", "api-token-value", "webhook-value"]) expect(text).not.toContain(value);
  }, 30_000);
});
