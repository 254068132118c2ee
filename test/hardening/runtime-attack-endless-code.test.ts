import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { waitFor } from "../runtime/support/child-process.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "bin/watchkeeper.js");

// A careless (or hostile) project's code in a merged pull request: a script that loops for ever after
// an await, a condition that loops on every call, a summary that calls process.exit, a script that
// fills its heap. The runtime runs all of it in a worker thread, so none of it may stop another
// monitor from paging, the HTTP port from answering, or the process from living.
const BUNDLE = `
import { readFileSync } from "node:fs";
const environ = () => readFileSync("/proc/self/environ", "utf8").split("\\0").find((v) => v.startsWith("WATCHKEEPER_API_TOKEN=")) ?? "";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export default {
  spin: { run: async () => { await sleep(5); for (;;) {} } },
  "loop-condition": { condition: () => { while (true) {} } },
  "exit-summary": { summary: () => process.exit(0) },
  hog: { run: async () => { const keep = []; for (;;) { keep.push(new Array(1e5).fill(Math.random())); await null; } } },
  leaky: {
    run: async () => ({ ok: false, message: "env " + (process.env.WATCHKEEPER_API_TOKEN ?? "none") + "; environ " + environ() }),
    summary: () => "summary " + environ(),
  },
  fine: { run: async ({ secret }) => ({ ok: secret("QUEUE_TOKEN") === "q-token", message: "queue ok" }) },
};
`;

const TOKEN = "runtime-admin-token-3f9c2a";

describe("project code that never returns, exits or fills its heap, in `wk run`", () => {
  let dir: string;
  let target: Server;
  let proc: ChildProcess | undefined;
  let out = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-endless-"));
    target = createServer((_req, res) => res.writeHead(500).end("broken"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
    const every = { kind: "every", every: "1s" } as const;
    const http = (id: string, code: Partial<ReturnType<typeof monitorSpec>["code"]> = {}) =>
      monitorSpec({
        id,
        schedule: every,
        check: { ...monitorSpec({ id }).check, url } as ReturnType<typeof monitorSpec>["check"],
        code: { condition: false, summary: false, run: false, extract: false, ...code },
      });
    const script = (id: string) =>
      monitorSpec({ id, schedule: every, check: { kind: "script", timeout: "5s" } as ReturnType<typeof monitorSpec>["check"], code: { condition: false, summary: false, run: true, extract: false } });
    await writeArtifact(
      join(dir, "artifact"),
      manifestOf([http("site"), http("loop-condition", { condition: true }), http("exit-summary", { summary: true }), script("spin"), script("hog"), script("fine"), { ...script("leaky"), code: { condition: false, summary: true, run: true, extract: false } }], ["QUEUE_TOKEN"]),
      BUNDLE,
    );
    proc = spawn(process.execPath, [BIN, "run", "--artifact", join(dir, "artifact"), "--port", "0", "--host", "127.0.0.1", "--state", join(dir, "state")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WK_LOG_LEVEL: "info", QUEUE_TOKEN: "q-token", WATCHKEEPER_API_TOKEN: TOKEN },
    });
    proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  }, 30_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps paging, answering and living; names each monitor whose code was stopped", async () => {
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 20_000, "the listening line");
    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    const healthLatencies: number[] = [];
    const probe = setInterval(() => {
      const started = performance.now();
      void fetch(`${url}/healthz`).then(() => healthLatencies.push(performance.now() - started), () => healthLatencies.push(Infinity));
    }, 200);
    try {
      // The failing site fires and its trigger is written, while the other code loops, exits and grows.
      await waitFor(() => (/"msg":"alert firing"[^\n]*"monitorId":"site"|"monitorId":"site"[^\n]*"msg":"alert firing"/.test(out) ? true : undefined), 20_000, "site firing");
      // Each culprit is named, with what happened to it; the others' calls were sent again, not failed.
      const logged = (pattern: RegExp, what: string) => waitFor(() => (pattern.test(out) ? true : undefined), 30_000, what);
      await logged(/the project's run of spin ran for more than 2 s without returning \(an endless loop\?\) and was stopped/, "spin stopped");
      await logged(/the project's condition of loop-condition ran for more than 2 s without returning/, "loop-condition stopped");
      await logged(/the project's summary of exit-summary was running when the code ended the worker \(process.exit\(0\)\)/, "exit-summary named");
      // Near its heap limit the worker may spend seconds collecting garbage first: stopped as a stall, or ended by the limit.
      await logged(/the project's run of hog (was running when the code filled the worker's 256 MB heap|ran for more than 2 s without returning)/, "hog named");
      const restarts = await metrics();
      expect(restarts).toMatch(/watchkeeper_code_worker_restarts_total\{reason="stalled"\} [1-9]/);
      expect(restarts).toMatch(/watchkeeper_code_worker_restarts_total\{reason="exited"\} [1-9]/);
      // The well-behaved script still gets its secret and passes.
      await waitFor(async () => (/watchkeeper_monitor_up\{monitor="fine"\} 1/.test(await metrics()) ? true : undefined), 20_000, "fine up");
      // A culprit's call may be sent again after another's stall restarted the worker: its error is
      // recorded once that call is stopped too, which a loaded machine reaches after "fine" is up.
      const text = await waitFor(async () => {
        const read = await metrics();
        return /watchkeeper_monitor_erroring\{monitor="spin"\} 1/.test(read) && /watchkeeper_monitor_erroring\{monitor="loop-condition"\} 1/.test(read) ? read : undefined;
      }, 30_000, "spin and loop-condition erroring");
      expect(text).toMatch(/watchkeeper_monitor_erroring\{monitor="spin"\} 1/);
      expect(text).toMatch(/watchkeeper_monitor_erroring\{monitor="loop-condition"\} 1/);
      expect(text).not.toContain("q-token");
      // The runtime's own API token is not in the code's environment, and read some other way it is scrubbed from what the code returns.
      const leaky = await waitFor(async () => {
        const res = await fetch(`${url}/api/monitors/leaky`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const body = await res.text();
        return body.includes("env none") ? body : undefined;
      }, 20_000, "the leaky script's result");
      expect(leaky).not.toContain(TOKEN);
      expect(leaky).toContain("environ WATCHKEEPER_API_TOKEN=");
      const alerts = await (await fetch(`${url}/api/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      expect(alerts).toContain("summary WATCHKEEPER_API_TOKEN=");
      expect(alerts).not.toContain(TOKEN);
    } finally {
      clearInterval(probe);
    }
    // The runtime's own thread never stalled: every health probe answered, none near the stall limit.
    expect(healthLatencies.length).toBeGreaterThan(10);
    expect(Math.max(...healthLatencies)).toBeLessThan(1500);
    expect(proc!.exitCode).toBeNull();
    proc!.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => (proc!.exitCode !== null ? r(proc!.exitCode) : proc!.once("exit", (c) => r(c))));
    expect(code).toBe(0);
  }, 90_000);
});
