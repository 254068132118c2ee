import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "./support/manifest.js";
import { waitFor } from "./support/child-process.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "bin/watchkeeper.js");

/** The real CLI entry (`bin/watchkeeper.js`, which runs the compiled build: `npm run build` first). */
describe("wk run (the CLI binary)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-bin-"));
    await writeArtifact(join(dir, "artifact"), manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })], ["WK_BIN_TEST_MISSING"]));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `wk run` on the test's artifact with `state` as its state folder; node flags before the binary. */
  const startRun = async (state: string, nodeArgs: string[] = []) => {
    const proc = spawn(process.execPath, [...nodeArgs, BIN, "run", "--artifact", join(dir, "artifact"), "--port", "0", "--host", "127.0.0.1", "--state", join(dir, state)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WK_LOG_LEVEL: "info" },
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 20_000, "the listening line").catch((error: unknown) => {
      proc.kill("SIGKILL");
      throw error;
    });
    return { proc, url, exited, output: () => out };
  };

  it("prints its URL, serves /readyz, and exits 0 on SIGTERM", async () => {
    expect(existsSync(join(ROOT, "build/cli/main.js")), "build/ is missing: run `npm run build`").toBe(true);
    const { proc, url, exited, output } = await startRun("state");
    try {
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; missingSecrets: string[] };
      expect(ready).toMatchObject({ ready: true, missingSecrets: ["WK_BIN_TEST_MISSING"] });
      proc.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output()).toContain('"msg":"watchkeeper runtime stopped"');
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 40_000);

  it("loads the parts of undici it uses, never undici's index (fetch, WebSocket, caches: about 7 MB of RSS), nor pino-pretty for JSON logs", async () => {
    // A preload that writes, at exit, every undici and pino-pretty file the process loaded.
    const preload = join(dir, "loaded-files.cjs");
    const loaded = join(dir, "loaded-files.json");
    await writeFile(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache).filter((f) => f.includes("undici") || f.includes("pino-pretty")))));\n`);
    const { proc, exited } = await startRun("state-undici", ["--require", preload]);
    try {
      proc.kill("SIGTERM");
      expect(await exited).toBe(0);
      const files = JSON.parse(await readFile(loaded, "utf8")) as string[];
      expect(files.some((f) => f.endsWith(join("undici", "lib", "dispatcher", "agent.js")))).toBe(true);
      expect(files.filter((f) => f.endsWith(join("undici", "index.js")) || f.includes(join("undici", "lib", "web")))).toEqual([]);
      // Its stdout is a pipe, so it logs JSON.
      expect(files.filter((f) => f.includes("pino-pretty"))).toEqual([]);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 40_000);
});
