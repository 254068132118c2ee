import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testManifest, testService } from "../delivery/support/manifest.js";
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
  const startRun = async (state: string, nodeArgs: string[] = [], env: Record<string, string> = {}) => {
    const proc = spawn(process.execPath, [...nodeArgs, BIN, "run", "--artifact", join(dir, "artifact"), "--port", "0", "--host", "127.0.0.1", "--state", join(dir, state)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WK_LOG_LEVEL: "info", ...env },
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

  it("keeps running on SIGHUP, saying it does not reload, and a second SIGTERM while stopping does not cut the stop short", async () => {
    const { proc, url, exited, output } = await startRun("state-hup");
    try {
      proc.kill("SIGHUP");
      await waitFor(() => /SIGHUP ignored/.test(output()) || proc.exitCode !== null || proc.signalCode !== null || undefined, 20_000, "the SIGHUP line or the exit");
      expect(proc.signalCode).toBeNull();
      expect(proc.exitCode).toBeNull();
      expect(output()).toMatch(/SIGHUP ignored: the runtime does not reload/);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      proc.kill("SIGTERM");
      await waitFor(() => /shutting down/.test(output()) || proc.exitCode !== null || undefined, 20_000, "the stop");
      if (proc.exitCode === null) proc.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output()).toContain('"msg":"watchkeeper runtime stopped"');
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 40_000);

  it("names a WK_* or WATCHKEEPER_* variable it does not read that is a near miss of one it does, with the one meant, and stays quiet about Kubernetes' service links and declared secrets", async () => {
    const { proc, exited, output } = await startRun("state-typos", [], {
      WK_CONCURENCY: "4",
      WK_LOG_LEVL: "debug",
      WK_REDIS_URL: "redis://127.0.0.1:6379/0",
      WATCHKEEPER_CONCURRENCY: "8",
      // What Kubernetes sets for a Service named "wk" or "watchkeeper" in the namespace.
      WK_SERVICE_HOST: "10.0.0.1",
      WK_SERVICE_PORT: "8080",
      WK_PORT: "tcp://10.0.0.1:8080",
      WK_PORT_8080_TCP_ADDR: "10.0.0.1",
      WATCHKEEPER_SERVICE_PORT_HTTP: "8080",
      // Declared by the project: its value, not a setting.
      WK_BIN_TEST_MISSING: "s3cret-value",
    });
    try {
      proc.kill("SIGTERM");
      expect(await exited).toBe(0);
      const out = output();
      expect(out).toMatch(/WK_CONCURENCY is not a variable wk run reads, so it is ignored: did you mean WK_CONCURRENCY\?/);
      expect(out).toMatch(/WK_LOG_LEVL is not a variable wk run reads, so it is ignored: did you mean WK_LOG_LEVEL\?/);
      expect(out).toMatch(/WK_REDIS_URL is not a variable wk run reads, so it is ignored: did you mean WATCHKEEPER_REDIS_URL\?/);
      expect(out).toMatch(/WATCHKEEPER_CONCURRENCY is not a variable wk run reads, so it is ignored: did you mean WK_CONCURRENCY\?/);
      expect(out).not.toMatch(/(WK|WATCHKEEPER)_(SERVICE|PORT)\w* is not a variable/);
      expect(out).not.toMatch(/WK_BIN_TEST_MISSING is not a variable/);
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

/**
 * A routing keys file that was missing, corrupt or of the wrong shape used to read as "no keys"
 * without a word: the runtime started, and every page to a service that takes its key from the
 * file waited, unsent.
 */
describe("wk run and the routing keys file", () => {
  const KEY = "R0UTINGKEY0123456789abcdefABCDEF";
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-bin-keys-"));
    const manifest = testManifest({ monitors: [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" }, service: "payments" })], services: [testService("payments")] });
    await writeArtifact(join(dir, "artifact"), manifest);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `wk run` in `dir` until it exits, or until it listens (then stopped); its output and exit code. */
  const run = async (env: Record<string, string>, state: string, flags: string[] = [], artifact = join(dir, "artifact")) => {
    const proc = spawn(process.execPath, [BIN, "run", "--artifact", artifact, "--port", "0", "--host", "127.0.0.1", "--state", join(dir, state), ...flags], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WK_LOG_LEVEL: "info", WK_ROUTING_KEYS_FILE: "", ...env },
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
    let ended = false;
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => ((ended = true), r(code))));
    await waitFor(() => ended || /listening on/.test(out) || undefined, 20_000, "the listening line or the exit").catch(() => proc.kill("SIGKILL"));
    if (!ended) proc.kill("SIGTERM");
    return { code: await exited, out };
  };

  it("refuses to start on a routing keys file that is not JSON, naming the file, the service and the fix, without quoting a key", async () => {
    const file = join(dir, "corrupt.json");
    await writeFile(file, `{ "payments": "${KEY}",`);
    const { code, out } = await run({ WK_ROUTING_KEYS_FILE: file }, "state-corrupt");
    expect(code).toBe(1);
    expect(out).toContain(`refusing to start: the routing keys file ${file} is not valid JSON`);
    expect(out).toMatch(/service payments takes its PagerDuty routing key from it/);
    expect(out).toMatch(/hint: wk deploy writes it/);
    expect(out).not.toContain(KEY.slice(0, 10));
  }, 40_000);

  it("refuses to start on a file of the wrong shape, and on a file WK_ROUTING_KEYS_FILE names that is not there", async () => {
    const file = join(dir, "shape.json");
    await writeFile(file, JSON.stringify([KEY]));
    const shape = await run({ WK_ROUTING_KEYS_FILE: file }, "state-shape");
    expect(shape.code).toBe(1);
    expect(shape.out).toContain(`the routing keys file ${file} is an array, not a JSON object of service id to key`);
    expect(shape.out).not.toContain(KEY.slice(0, 10));
    const missing = await run({ WK_ROUTING_KEYS_FILE: join(dir, "nowhere.json") }, "state-missing");
    expect(missing.code).toBe(1);
    expect(missing.out).toContain(`the routing keys file ${join(dir, "nowhere.json")} does not exist: pages to service payments would wait, unsent, until it does`);
  }, 40_000);

  it("takes a Redis URL with a space before it or a line break after it (pasted, or from a secret file) as the URL, not as an internal error", async () => {
    const prefix = `wk-url-space-${process.pid}`;
    const flag = await run({}, "state-redis-space", ["--redis", " redis://127.0.0.1:6379/0", "--redis-prefix", prefix]);
    expect(flag.out).not.toContain("internal error");
    expect(flag.out).toContain("listening on");
    expect(flag.code).toBe(0);
    const env = await run({ WATCHKEEPER_REDIS_URL: "redis://127.0.0.1:6379/0\n" }, "state-redis-newline", ["--redis-prefix", prefix]);
    expect(env.out).not.toContain("internal error");
    expect(env.out).toContain("listening on");
    expect(env.code).toBe(0);
  }, 60_000);

  it("refuses a Redis URL without its host or its scheme with the URL's shape, not a complaint about the database", async () => {
    const slash = await run({}, "state-redis-slash", ["--redis", "redis:/127.0.0.1:6379"]);
    expect(slash.code).toBe(1);
    expect(slash.out).toContain("refusing to start: cannot use Redis at redis:/127.0.0.1:6379: no host; expected redis://HOST:PORT/DB");
    expect(slash.out).not.toContain("is not a number");
    const bare = await run({}, "state-redis-bare", ["--redis", "localhost:6379"]);
    expect(bare.code).toBe(1);
    expect(bare.out).toContain("refusing to start: cannot use Redis at localhost:6379: no scheme; expected redis://localhost:6379");
  }, 60_000);

  it("refuses --redis-prefix or --location without --redis, instead of running embedded as if they were not given", async () => {
    const prefix = await run({ WATCHKEEPER_REDIS_URL: "" }, "state-prefix-alone", ["--redis-prefix", "prod"]);
    expect(prefix.code).toBe(2);
    expect(prefix.out).toContain("--redis-prefix needs --redis (or WATCHKEEPER_REDIS_URL)");
    expect(prefix.out).not.toContain("listening on");
    const location = await run({ WATCHKEEPER_REDIS_URL: "" }, "state-location-alone", ["--location", "eu-west"]);
    expect(location.code).toBe(2);
    expect(location.out).toContain("--location needs --redis");
  }, 60_000);

  it("refuses a flag given twice, naming it and both values, instead of an internal error or listening on an address neither names", async () => {
    const state = await run({}, "state-twice", ["--state", join(dir, "state-a")]);
    expect(state.code).toBe(2);
    expect(state.out).toContain(`--state is given more than once (${JSON.stringify(join(dir, "state-twice"))}, ${JSON.stringify(join(dir, "state-a"))}): give it once`);
    expect(state.out).not.toContain("internal error");
    const host = await run({}, "state-host-twice", ["--host", "0.0.0.0"]);
    expect(host.code).toBe(2);
    expect(host.out).toContain('--host is given more than once ("127.0.0.1", "0.0.0.0")');
    expect(host.out).not.toContain("listening on");
    const redis = await run({}, "state-redis-twice", ["--redis", "redis://127.0.0.1:6379/0", "--redis", "redis://:pass-word-1@127.0.0.1:6379/1"]);
    expect(redis.code).toBe(2);
    expect(redis.out).toContain("--redis is given more than once");
    expect(redis.out).not.toContain("pass-word-1");
  }, 60_000);

  it("refuses --artifact naming the manifest file rather than its folder with the folder to give, not ENOTDIR", async () => {
    const manifest = join(dir, "artifact", "manifest.json");
    const { code, out } = await run({}, "state-artifact-file", [], manifest);
    expect(code).toBe(1);
    expect(out).toContain(`refusing to start: --artifact names the folder of a compiled artifact, and ${manifest} is a file: give its folder, ${join(dir, "artifact")}`);
    expect(out).not.toContain("ENOTDIR");
  }, 60_000);

  it("starts with a warning when the default file is not there yet (nothing deployed), and refuses with --strict-secrets", async () => {
    const started = await run({}, "state-default");
    expect(started.code).toBe(0);
    expect(started.out).toMatch(/"level":"?(warn|40)"?.*the routing keys file \.watchkeeper\/routing-keys\.json does not exist: pages to service payments would wait/);
    const strict = await run({}, "state-strict", ["--strict-secrets"]);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain("refusing to start: the routing keys file .watchkeeper/routing-keys.json does not exist");
  }, 40_000);
});

