import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, ROOT } from "../../../test/delivery/support/process.js";

// The checkpointer reads the WAL index (`state.db-shm`) after the state folder was checked. A FIFO
// swapped in between used to block its open, and the runtime with it, for good: the open runs in a
// child with a time limit, so a blocking open fails this test instead of hanging it.
const mkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

describe.skipIf(!mkfifo)("the WAL index replaced by a FIFO", () => {
  let dir: string;
  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-shm-fifo-"));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("is refused at once, naming the file, never waited on", () => {
    const db = join(dir, "state.db");
    expect(spawnSync("mkfifo", [`${db}-shm`]).status).toBe(0);
    const checkpointer = pathToFileURL(join(ROOT, "build/runtime/store/sqlite/checkpointer.js")).href;
    const sqlite = pathToFileURL(join(ROOT, "node_modules/better-sqlite3/lib/index.js")).href;
    const script = `
      const { startCheckpointer } = await import(${JSON.stringify(checkpointer)});
      const { default: Database } = await import(${JSON.stringify(sqlite)});
      const db = new Database(":memory:");
      try {
        const c = startCheckpointer(db, ${JSON.stringify(db)}, { shell: "/nonexistent/sqlite3", onFallback: () => {} });
        c.stop(); c.release();
        console.log(JSON.stringify({ started: true }));
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message, hint: error.hint }));
      }`;
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    expect(run.signal, "the open blocked on the FIFO").toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
    const answer = JSON.parse(run.stdout.trim()) as { name?: string; message?: string; hint?: string };
    expect(answer.name).toBe("StateError");
    expect(answer.message).toBe(`${db}-shm is a FIFO, not a file`);
    expect(answer.hint).toContain(`move ${db}-shm away`);
  }, 30_000);
});
