import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { waitFor } from "../runtime/support/child-process.js";
import { OwnRedis } from "../support/redis-server.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "bin/watchkeeper.js");
const PASSWORD = "redis-pw-8c1d7e";
const TOKEN = "runtime-admin-token-51ab";

// A project's script (trusted once merged, but careless or curious) reads the replica's command line
// and environment, where the Redis URL and its password are, and returns them as its message and
// summary. The runtime must scrub them from what it stores and shows, as it does the API token.
const BUNDLE = `
import { readFileSync } from "node:fs";
const cmdline = () => readFileSync("/proc/self/cmdline", "utf8").split("\\0").join(" ");
const environ = () => readFileSync("/proc/self/environ", "utf8").split("\\0").filter((v) => v.startsWith("WATCHKEEPER_")).join(" ");
export default {
  nosy: {
    run: async () => ({ ok: false, message: "cmdline " + cmdline() + "; environ " + environ() }),
    summary: () => "summary " + cmdline(),
  },
};
`;

describe("project code that reads the Redis URL from the replica's command line", () => {
  const redis = new OwnRedis();
  let dir: string;
  let proc: ChildProcess | undefined;
  let out = "";

  beforeAll(async () => {
    await redis.start();
    const setup = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await setup.config("SET", "requirepass", PASSWORD);
    setup.disconnect();
    dir = await mkdtemp(join(tmpdir(), "wk-redis-leak-"));
    const nosy = monitorSpec({
      id: "nosy",
      schedule: { kind: "every", every: "1s" },
      check: { kind: "script", timeout: "5s" } as ReturnType<typeof monitorSpec>["check"],
      code: { condition: false, summary: true, run: true, extract: false },
    });
    await writeArtifact(join(dir, "artifact"), manifestOf([nosy], []), BUNDLE);
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
    proc = spawn(process.execPath, [BIN, "run", "--artifact", join(dir, "artifact"), "--port", "0", "--host", "127.0.0.1", "--state", join(dir, "state"), "--redis", url], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WK_LOG_LEVEL: "info", WATCHKEEPER_API_TOKEN: TOKEN, WATCHKEEPER_REDIS_URL: url },
    });
    proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  }, 30_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill("SIGKILL");
      await new Promise((r) => proc!.once("exit", r));
    }
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores, shows and logs neither the URL nor its password", async () => {
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 20_000, "the listening line");
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const result = await waitFor(async () => {
      const body = await (await fetch(`${url}/api/monitors/nosy`, auth)).text();
      return body.includes("cmdline ") ? body : undefined;
    }, 20_000, "the script's result");
    // The script did read them: the command line's other words are there, the secret parts are not.
    expect(result).toContain("--redis");
    expect(result).toContain("WATCHKEEPER_REDIS_URL=");
    const alerts = await waitFor(async () => {
      const body = await (await fetch(`${url}/api/alerts`, auth)).text();
      return body.includes("summary ") ? body : undefined;
    }, 20_000, "the alert's summary");
    const page = await (await fetch(`${url}/monitors/nosy`, auth)).text();
    for (const shown of [result, alerts, page, out]) {
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(`127.0.0.1:${redis.port}/0`);
    }
  }, 60_000);
});
