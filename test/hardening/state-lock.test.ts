import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { ensureBuild, kill, ROOT, startRun, writeArtifact, type RunProcess } from "../delivery/support/process.js";

/** Runs `wk run` to its exit; for a start that is expected to be refused. */
function runToExit(artifact: string, state: string): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "run", "--artifact", artifact, "--state", state, "--port", "0", "--host", "127.0.0.1"], {
    env: { ...process.env, WK_SPREAD: "0s" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (c: Buffer) => (output += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  return new Promise((resolve) =>
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe("one runtime per state folder (two real `wk run` processes)", () => {
  let dir = "";
  const runs: RunProcess[] = [];
  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-lock-"));
    await writeArtifact(join(dir, "artifact"), manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })]));
  }, 180_000);
  afterEach(async () => {
    for (const r of runs.splice(0)) await kill(r, "SIGKILL");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second runtime on the same state folder, naming the holder's pid, host and the folder", async () => {
    const state = join(dir, "state-a");
    const first = await startRun(join(dir, "artifact"), state, {});
    runs.push(first);
    const second = await runToExit(join(dir, "artifact"), state);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`error: refusing to start: the state folder ${state} is in use by another watchkeeper runtime`);
    expect(second.output).toContain(`pid ${first.proc.pid} on host ${hostname()}`);
    expect(second.output).toMatch(/hint: stop that runtime first/);
    expect(second.output).not.toContain("internal error");
    // The refused start touched nothing: the first runtime still serves and still holds the lock.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect(JSON.parse(await readFile(join(state, "runtime.lock.json"), "utf8"))).toMatchObject({ pid: first.proc.pid, host: hostname() });
  }, 60_000);

  it("a runtime killed with SIGKILL does not block the next start", async () => {
    const state = join(dir, "state-b");
    const first = await startRun(join(dir, "artifact"), state, {});
    runs.push(first);
    await kill(first, "SIGKILL");
    const next = await startRun(join(dir, "artifact"), state, {});
    runs.push(next);
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
    expect(JSON.parse(await readFile(join(state, "runtime.lock.json"), "utf8"))).toMatchObject({ pid: next.proc.pid });
  }, 60_000);

  it("a runtime stopped with SIGTERM releases the folder for the next one", async () => {
    const state = join(dir, "state-c");
    const first = await startRun(join(dir, "artifact"), state, {});
    runs.push(first);
    await kill(first, "SIGTERM");
    expect(await first.exited).toBe(0);
    const next = await startRun(join(dir, "artifact"), state, {});
    runs.push(next);
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
