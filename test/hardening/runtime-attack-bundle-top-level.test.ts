import { spawn } from "node:child_process";
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

/**
 * The bundle's top level is the project's code too. Loaded in the runtime's own thread, it could
 * replace globals the runtime uses (JSON.parse, Date.now) or leave a timer that loops there later,
 * after the compile's sandbox had long let it go. `wk run` loads the bundle only in its code worker.
 */
const HOSTILE_TOP_LEVEL = `
JSON.parse = () => { throw new Error("JSON.parse replaced by the bundle"); };
Date.now = () => 0;
setTimeout(() => { for (;;) {} }, 1500);
export default { "uses-code": { condition: (r) => !r.ok } };
`;

function run(artifact: string, state: string) {
  const proc = spawn(process.execPath, [BIN, "run", "--artifact", artifact, "--port", "0", "--host", "127.0.0.1", "--state", state], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WK_LOG_LEVEL: "info" },
  });
  let out = "";
  proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, exited, output: () => out };
}

describe("a bundle whose top level is hostile, in `wk run`", () => {
  let dir: string;
  let target: Server;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-top-level-"));
    target = createServer((_req, res) => res.writeHead(500).end("broken"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const monitors = () => {
    const check = { ...monitorSpec({ id: "x" }).check, url } as ReturnType<typeof monitorSpec>["check"];
    return [
      monitorSpec({ id: "site", schedule: { kind: "every", every: "1s" }, check }),
      monitorSpec({ id: "uses-code", schedule: { kind: "every", every: "1s" }, check, code: { condition: true, summary: false, run: false, extract: false } }),
    ];
  };

  it("cannot replace the runtime's globals or stop its thread: pages fire, the API answers JSON, health answers", async () => {
    await writeArtifact(join(dir, "hostile"), manifestOf(monitors()), HOSTILE_TOP_LEVEL);
    const child = run(join(dir, "hostile"), join(dir, "state-hostile"));
    try {
      const base = await waitFor(() => /listening on (http:\/\/\S+)/.exec(child.output())?.[1], 20_000, "the listening line");
      await waitFor(() => (/"monitorId":"site"[^\n]*"msg":"alert firing"/.test(child.output()) ? true : undefined), 20_000, "site firing");
      // Well past the bundle's timer: the runtime's thread still answers at once.
      await new Promise((r) => setTimeout(r, 2500));
      const started = performance.now();
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1000);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/watchkeeper_monitor_up\{monitor="site"\} 0/);
      expect(child.output()).not.toContain("JSON.parse replaced by the bundle");
      expect(child.proc.exitCode).toBeNull();
    } finally {
      child.proc.kill("SIGKILL");
    }
  }, 60_000);

  it("a bundle that throws while loading refuses the start, naming the reason, with exit code 1", async () => {
    await writeArtifact(join(dir, "throws"), manifestOf(monitors()), `throw new Error("config missing at load"); export default {};`);
    const child = run(join(dir, "throws"), join(dir, "state-throws"));
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(/refusing to start: monitors\.mjs did not load in the code worker: config missing at load/);
  }, 60_000);
});
