import { spawn } from "node:child_process";
import { chmodSync, closeSync, openSync, statSync, writeSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { StateError } from "../../runtime/store/state-error.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { ensureBuild, ROOT, writeArtifact } from "../delivery/support/process.js";

/** An unprivileged user: root ignores file modes, so permission tests run `wk run` as nobody. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs `wk run` to its exit (as `uid` when given); a refused start must end by itself. */
function runToExit(artifact: string, state: string, uid?: number): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "run", "--artifact", artifact, "--state", state, "--port", "0", "--host", "127.0.0.1"], {
    env: { ...process.env, WK_SPREAD: "0s", HOME: tmpdir() },
    stdio: ["ignore", "pipe", "pipe"],
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  let output = "";
  proc.stdout.on("data", (c: Buffer) => (output += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (output += c.toString()));
  // A start that is not refused would run forever: stop it, and the test sees a null code.
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  return new Promise((resolve) =>
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

/** A real state database with enough rows to span many pages, closed cleanly (WAL folded in). */
function writeValidState(state: string): string {
  const store = SqliteStore.open(state, 0);
  const rows = Array.from({ length: 2_000 }, (_, i) => ({
    monitorId: `m-${i % 40}`,
    at: i,
    ok: i % 3 === 0,
    firing: i % 3 !== 0,
    value: i,
    message: `HTTP 503 from https://example.com/health, attempt ${i}`,
    labels: { region: "eu-west-1", i: String(i) },
    durationMs: 12,
  }));
  for (let i = 0; i < rows.length; i += 100) store.recordEvaluation({ monitorId: "m", alerts: [], readVersions: {}, results: rows.slice(i, i + 100), intents: [], at: i });
  store.close();
  return join(state, "state.db");
}

describe("a corrupt or unwritable state database stops the start with the path and the way out", () => {
  let dir = "";
  let artifact = "";
  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-integrity-"));
    // nobody must be able to reach the artifact and the state folders under this one.
    await chmod(dir, 0o755);
    artifact = join(dir, "artifact");
    await writeArtifact(artifact, manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })]));
    await chmod(artifact, 0o755);
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("garbage bytes in state.db: exit 1 naming the database and the recovery, not a bug report", async () => {
    const state = join(dir, "garbage");
    await mkdir(state);
    await writeFile(join(state, "state.db"), Buffer.from("this is not an SQLite database, just some bytes ".repeat(200)));
    const run = await runToExit(artifact, state);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`error: refusing to start: the state database ${join(state, "state.db")} is corrupt`);
    expect(run.output).toMatch(/hint: .*move .*state\.db and its -wal and -shm files aside together \(or restore them from a backup\)/);
    expect(run.output).not.toContain("internal error");
    expect(run.output).not.toContain("listening on");
  }, 60_000);

  it("a database with a corrupted page fails the integrity check at start instead of starting and reporting ready", async () => {
    const state = join(dir, "bad-page");
    const db = writeValidState(state);
    const pageSize = 4096;
    const pages = statSync(db).size / pageSize;
    expect(pages).toBeGreaterThan(8);
    // Overwrite a whole b-tree page in the middle of the file with noise.
    const fd = openSync(db, "r+");
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, Math.floor(pages / 2) * pageSize);
    closeSync(fd);
    expect(() => SqliteStore.open(state, 0)).toThrow(StateError);
    const run = await runToExit(artifact, state);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`error: refusing to start: the state database ${db} is corrupt (`);
    expect(run.output).not.toContain("internal error");
    expect(run.output).not.toContain("listening on");
  }, 60_000);

  it("a state folder the runtime's user cannot write: exit 1 naming the path and the permission to fix", async () => {
    const state = join(dir, "read-only-folder");
    writeValidState(state);
    chmodSync(state, 0o555);
    const run = await runToExit(artifact, state, asRoot ? NOBODY : undefined);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`error: refusing to start: the state at ${join(state, "runtime.lock")} cannot be written`);
    expect(run.output).toContain("hint: the runtime's user needs read and write permission on the state folder");
    expect(run.output).not.toContain("internal error");
  }, 60_000);

  it("a read-only state.db in a writable folder: exit 1 naming the database", async () => {
    const state = join(dir, "read-only-file");
    const db = writeValidState(state);
    chmodSync(state, 0o777);
    chmodSync(join(state, "runtime.lock"), 0o666);
    chmodSync(db, 0o444);
    const run = await runToExit(artifact, state, asRoot ? NOBODY : undefined);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`error: refusing to start: the state at ${db} cannot be written`);
    expect(run.output).not.toContain("internal error");
    expect(run.output).not.toContain("listening on");
  }, 60_000);
});
