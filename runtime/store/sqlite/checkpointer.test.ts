import BetterSqlite3, { type Database } from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../../sdk/manifest/schema.js";
import { retentionOf } from "../retention.js";
import { checkpointLeftoverWal, findSqliteShell, startCheckpointer } from "./checkpointer.js";
import { DATABASE_FILE } from "./open-database.js";
import { SqliteStore } from "./sqlite-store.js";

const T = 1_767_571_200_000;
const shell = findSqliteShell();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

async function until(what: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(20);
  }
}

let dir = "";
beforeEach(async () => {
  // A folder name a careless shell quoting would split or take for an option.
  dir = join(await mkdtemp(join(tmpdir(), "wk-ckpt-")), "-state 'a' \"b\" $x");
  mkdirSync(dir);
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

/** A stand-in for the shell: a script that ignores its arguments and answers stdin as `body` says. */
function fakeShell(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function openWal(): Database {
  const db = new BetterSqlite3(join(dir, DATABASE_FILE));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE IF NOT EXISTS t (x BLOB)");
  return db;
}

describe.skipIf(shell === null)("WAL checkpoints in the sqlite3 shell, off the event loop", () => {
  it("a large store's WAL is copied into the file by the helper, with its own auto-checkpoint off", async () => {
    const notices: string[] = [];
    const store = SqliteStore.open(dir, T, { checkpointsOffLoopFromBytes: 1, onNotice: (_, m) => notices.push(m) });
    try {
      expect(store.checkpointsOffLoop).toBe(true);
      expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      expect(notices.join("\n")).toMatch(/checkpoints run in a sqlite3 helper/);
      const before = statSync(join(dir, DATABASE_FILE)).size;
      for (let i = 0; i < 300; i++) {
        store.recordEvaluation({
          monitorId: `m-${i % 50}`,
          alerts: [],
          readVersions: {},
          results: [{ monitorId: `m-${i % 50}`, at: T + i * 1000, ok: true, firing: false, value: 1, message: "x".repeat(4000), labels: {}, durationMs: 3, error: null }],
          intents: [],
          at: T + i * 1000,
        });
      }
      // This connection's auto-checkpoint is off: only the helper copies the WAL into the file.
      expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      await until(() => statSync(join(dir, DATABASE_FILE)).size > before + 300 * 4000, 10_000);
      expect(store.checkpointsOffLoop).toBe(true);
    } finally {
      store.close();
    }
  });

  it("the WAL starts over while the runtime keeps committing: it does not grow with what was written", async () => {
    const db = openWal();
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: shell!, everyMs: 100, restartFromFrames: 1_000 });
    const insert = db.prepare("INSERT INTO t VALUES (randomblob(20000))");
    try {
      await c.ready;
      const wal = join(dir, `${DATABASE_FILE}-wal`);
      let written = 0;
      // Commits the way the runtime makes them (EvaluationStore): a few ms apart, each after any hold
      // the helper asks for. How soon the WAL first starts over follows how quickly the helper is
      // scheduled, so the writer goes on until what it wrote dwarfs the WAL, or for 30 s: a WAL
      // that never started over would grow with every commit and never be dwarfed.
      const end = Date.now() + 30_000;
      while (!(written > 4 * 2 ** 20 && statSync(wal).size < written / 3) && Date.now() < end) {
        const hold = c.holdCommits();
        if (hold) await hold;
        insert.run();
        written += 20_000;
        await sleep(5);
      }
      expect(written).toBeGreaterThan(4 * 2 ** 20);
      expect(statSync(wal).size).toBeLessThan(written / 3);
      expect(c.running).toBe(true);
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  }, 60_000);

  it("a writer that never pauses lets the WAL start over only by luck; held a moment now and then, it starts over each time", async () => {
    const db = openWal();
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: shell!, everyMs: 50, restartFromFrames: 500 });
    const insert = db.prepare("INSERT INTO t VALUES (randomblob(3000))");
    const shmPath = join(dir, `${DATABASE_FILE}-shm`);
    // mxFrame, at byte 16 of the WAL index (native byte order; this machine's is little-endian).
    const frames = () => readFileSync(shmPath).readUInt32LE(16);
    const run = async (honourHolds: boolean, ms: number) => {
      let last = frames();
      let restarts = 0;
      let most = 0;
      let held = 0;
      let restartedAfterHold = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const hold = honourHolds ? c.holdCommits() : null;
        const before = frames();
        if (hold) {
          held++;
          await hold;
        }
        insert.run();
        const now = frames();
        if (now < last) restarts++;
        if (hold && now < before) restartedAfterHold++;
        last = now;
        most = Math.max(most, now);
        await new Promise((r) => setImmediate(r));
      }
      return { restarts, most, held, restartedAfterHold };
    };
    try {
      await c.ready;
      const unheld = await run(false, 1_500);
      const withHolds = await run(true, 1_500);
      expect(unheld.held).toBe(0);
      // The commit after a hold starts the WAL over: every time but perhaps once (a hold cut off
      // at its longest while the helper was slow). How far the WAL grows between holds, or without
      // them, depends on how quickly the helper is scheduled, so it is not compared.
      expect(withHolds.held).toBeGreaterThan(2);
      expect(withHolds.restartedAfterHold).toBeGreaterThanOrEqual(withHolds.held - 1);
      expect(c.running).toBe(true);
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  });

  it("a small store keeps SQLite's own checkpoints, and turns to the helper once its file grows past the size", async () => {
    const store = SqliteStore.open(dir, T, { checkpointsOffLoopFromBytes: 256 * 1024 });
    try {
      expect(store.checkpointsOffLoop).toBe(false);
      expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      store.db.exec("CREATE TABLE filler (x BLOB)");
      store.db.prepare("INSERT INTO filler VALUES (zeroblob(400000))").run();
      store.db.pragma("wal_checkpoint(TRUNCATE)");
      store.prune(T, retentionOf(DEFAULT_RUNTIME_SETTINGS), 10);
      expect(store.checkpointsOffLoop).toBe(true);
      expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    } finally {
      store.close();
    }
  });

  it("runs the helper with an empty environment and ends it with the store", async () => {
    process.env["WK_TEST_SECRET_FOR_HELPER"] = "s3cret-value";
    const db = openWal();
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: shell!, everyMs: 20 });
    try {
      await c.ready;
      expect(c.pid).not.toBeNull();
      expect(readFileSync(`/proc/${c.pid}/environ`, "utf8")).toBe("");
      c.stop();
      await until(() => !alive(c.pid!));
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      delete process.env["WK_TEST_SECRET_FOR_HELPER"];
      c.stop();
      db.close();
      c.release();
      c.release();
    }
  });

  it("a helper that dies puts checkpoints back on the event loop and says why", async () => {
    const db = openWal();
    const reasons: string[] = [];
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: shell!, everyMs: 20, onFallback: (r) => reasons.push(r) });
    try {
      await c.ready;
      process.kill(c.pid!, "SIGKILL");
      await until(() => reasons.length > 0);
      expect(reasons[0]).toMatch(/sqlite3 shell stopped \(SIGKILL\)/);
      expect(c.running).toBe(false);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  });
});

describe("WAL checkpoint helper: what if it is missing or hangs", () => {
  it("a shell that cannot be started leaves SQLite's own checkpoints on", async () => {
    const db = openWal();
    const reasons: string[] = [];
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: join(dir, "no-such-sqlite3"), everyMs: 20, onFallback: (r) => reasons.push(r) });
    try {
      await expect(c.ready).rejects.toThrow(/could not run|stopped/);
      expect(reasons).toHaveLength(1);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      db.close();
    }
  });

  it("a shell that never answers is given up on after the stall time", async () => {
    const silent = fakeShell("silent-sqlite3", "exec sleep 30");
    const db = openWal();
    const reasons: string[] = [];
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: silent, everyMs: 20, stallMs: 200, onFallback: (r) => reasons.push(r) });
    try {
      await until(() => reasons.length > 0);
      expect(reasons[0]).toMatch(/answered no checkpoint/);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      await until(() => !alive(c.pid!));
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  });

  it("a helper behind says so (the pruner waits), and far behind gets SQLite's own checkpoints back beside it until it catches up", async () => {
    // Answers like the shell: first 90,000 frames left uncopied, then none.
    const fake = fakeShell(
      "behind-sqlite3",
      `n=0\nwhile read line; do case "$line" in SELECT*) n=$((n+1)); if [ $n -le 2 ]; then echo "0|100000|10000"; else echo "0|500|500"; fi; echo wk-checkpoint-done;; esac; done`,
    );
    const db = openWal();
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: fake, everyMs: 20, behindFrames: 1_000, farBehindFrames: 50_000 });
    try {
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 1000);
      expect(c.behind()).toBe(true);
      await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 0);
      expect(c.behind()).toBe(false);
      expect(c.running).toBe(true);
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  });

  it("counts the WAL's frames from the WAL index itself, whatever the helper last said", async () => {
    // Says it copied everything, and copies nothing.
    const fake = fakeShell("lazy-sqlite3", `while read line; do case "$line" in SELECT*) echo "0|0|0"; echo wk-checkpoint-done;; esac; done`);
    const db = openWal();
    const c = startCheckpointer(db, join(dir, DATABASE_FILE), { shell: fake, everyMs: 20, behindFrames: 100 });
    try {
      await c.ready;
      expect(c.behind()).toBe(false);
      const insert = db.prepare("INSERT INTO t VALUES (randomblob(4000))");
      for (let i = 0; i < 300; i++) insert.run();
      expect(c.behind()).toBe(true);
      db.pragma("wal_checkpoint(TRUNCATE)");
      expect(c.behind()).toBe(false);
    } finally {
      c.stop();
      db.close();
      c.release();
    }
  });

  it("finds the shell only in absolute PATH entries", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "sqlite3"), "#!/bin/sh\n");
    chmodSync(join(bin, "sqlite3"), 0o755);
    expect(findSqliteShell(`relative/bin:${bin}`)).toBe(join(bin, "sqlite3"));
    expect(findSqliteShell("bin:.")).toBeNull();
    expect(findSqliteShell(undefined)).toBe(findSqliteShell(process.env.PATH));
  });
});

/** A run killed with `frames` pages of its last writes still in the WAL (auto-checkpoint off, as with the helper). */
function killedWithWal(frames: number): number {
  SqliteStore.open(dir, T).close();
  const script = `
    const db = new (require("better-sqlite3"))(process.argv[1]);
    db.pragma("wal_autocheckpoint = 0");
    db.pragma("synchronous = OFF");
    const set = db.prepare("INSERT OR REPLACE INTO heartbeats (monitor_id, at) VALUES ('cron', ?)");
    for (let i = 1; i <= ${frames}; i++) set.run(i);
    process.kill(process.pid, "SIGKILL");`;
  const run = spawnSync(process.execPath, ["-e", script, join(dir, DATABASE_FILE)], { cwd: process.cwd() });
  expect(run.signal).toBe("SIGKILL");
  return statSync(join(dir, `${DATABASE_FILE}-wal`)).size;
}

describe.skipIf(shell === null)("a large WAL left by a killed run", () => {
  it("is copied into the file by the sqlite3 shell before the runtime's connection maps its index, nothing lost", () => {
    expect(killedWithWal(10_000)).toBeGreaterThan(32 * 2 ** 20);
    const notices: string[] = [];
    const store = SqliteStore.open(dir, T, { leftoverWalFromBytes: 2 ** 20, onNotice: (level, m) => notices.push(`${level}: ${m}`) });
    try {
      expect(notices.join("\n")).toMatch(/^info: the \d+ MB WAL left by the last run was copied into state\.db by the sqlite3 shell before opening/m);
      // The WAL index this connection maps is one 32 KB region, not one per 4,096 frames of the old WAL.
      expect(statSync(join(dir, `${DATABASE_FILE}-shm`)).size).toBeLessThanOrEqual(32 * 1024);
      expect(store.db.prepare("SELECT at FROM heartbeats").pluck().get()).toBe(10_000);
    } finally {
      store.close();
    }
  });

  it("opens the WAL as it is when the shell fails, and says so", () => {
    killedWithWal(600);
    const broken = fakeShell("broken-sqlite3", "echo 'Error: disk I/O error' >&2; exit 1");
    const notices: string[] = [];
    const store = SqliteStore.open(dir, T, { sqliteShell: broken, leftoverWalFromBytes: 2 ** 20, onNotice: (level, m) => notices.push(`${level}: ${m}`) });
    try {
      expect(notices.join("\n")).toMatch(/^warn: the \d+ MB WAL left by the last run could not be copied .*disk I\/O error.*opening it as it is/m);
      expect(store.db.prepare("SELECT at FROM heartbeats").pluck().get()).toBe(600);
    } finally {
      store.close();
    }
  });

  it("leaves a small WAL, and anything that is not a regular file, to the runtime's own connection", () => {
    SqliteStore.open(dir, T).close();
    writeFileSync(join(dir, `${DATABASE_FILE}-wal`), "");
    expect(checkpointLeftoverWal(join(dir, DATABASE_FILE), shell, { fromBytes: 1 })).toBeNull();
    expect(checkpointLeftoverWal(join(dir, "absent.db"), shell, { fromBytes: 0 })).toBeNull();
    // A WAL index that is a link (to a file elsewhere) is the connection's to refuse, not the shell's to follow.
    writeFileSync(join(dir, `${DATABASE_FILE}-wal`), "x".repeat(64));
    writeFileSync(join(dir, "elsewhere"), "");
    symlinkSync(join(dir, "elsewhere"), join(dir, `${DATABASE_FILE}-shm`));
    expect(checkpointLeftoverWal(join(dir, DATABASE_FILE), shell, { fromBytes: 1 })).toBeNull();
  });
});
