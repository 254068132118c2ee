import BetterSqlite3, { type Database } from "better-sqlite3";
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { StateError, stateErrorOf } from "../state-error.js";
import { requireRegularFile } from "./open-database.js";

export const LOCK_FILE = "runtime.lock";
/** Who holds the lock, for the message the next runtime prints; the lock itself is LOCK_FILE. */
export const HOLDER_FILE = "runtime.lock.json";

/** The process holding a state folder, as it wrote itself down. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/**
 * One runtime per state folder. The lock is an open write transaction (SQLite's RESERVED lock,
 * an fcntl lock) on a small database of its own: the kernel drops it when the process ends,
 * however it ends, so a kill -9, an OOM kill or a lost container never leaves a stale lock to
 * detect, on this host or another one that mounts the folder next. A pid file would need a
 * liveness check that cannot see across hosts. The state database itself stays unlocked, so
 * an operator can still read it with `sqlite3` while the runtime runs.
 */
export class StateLock {
  private constructor(
    private readonly db: Database,
    private readonly holderPath: string,
  ) {}

  /** Takes the folder's lock at once, or throws a StateError naming the holder. */
  static acquire(stateDir: string, now: number): StateLock {
    const path = join(stateDir, LOCK_FILE);
    const holderPath = join(stateDir, HOLDER_FILE);
    const db = openLockDatabase(path);
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === "SQLITE_BUSY") throw lockedBy(stateDir, readHolder(holderPath));
      throw notALockFile(error, path) ?? stateErrorOf(error, path) ?? error;
    }
    const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date(now).toISOString() };
    try {
      // Written whole then renamed, so a reader never sees half a file.
      writeFileSync(`${holderPath}.tmp`, JSON.stringify(holder) + "\n");
      renameSync(`${holderPath}.tmp`, holderPath);
    } catch (error) {
      db.close();
      throw stateErrorOf(error, holderPath) ?? error;
    }
    return new StateLock(db, holderPath);
  }

  release(): void {
    if (!this.db.open) return;
    rmSync(this.holderPath, { force: true });
    this.db.close();
  }
}

function openLockDatabase(path: string): Database {
  let db: Database | null = null;
  try {
    requireRegularFile(path);
    db = new BetterSqlite3(path);
    db.pragma("busy_timeout = 0");
    // SQLite quietly opens a file it may not write read-only, and a read-only descriptor takes no
    // lock that excludes anyone: refuse rather than run unguarded.
    accessSync(path, constants.W_OK);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StateError) throw error;
    throw notALockFile(error, path) ?? stateErrorOf(error, path) ?? error;
  }
}

/**
 * The lock file holds no state, so SQLite's "not a database" here is not the state's corruption (whose
 * recovery starts a new, empty state): the file is simply not one a runtime made, and no runtime can
 * be holding it.
 */
function notALockFile(error: unknown, path: string): StateError | null {
  const code = String((error as { code?: unknown }).code ?? "");
  if (code !== "SQLITE_NOTADB" && !code.startsWith("SQLITE_CORRUPT")) return null;
  return new StateError(
    "unusable",
    `${path} is not a lock file a watchkeeper runtime made (${(error as Error).message})`,
    `it holds no alert state: remove ${path} and start again; the runtime makes a new one`,
  );
}

/** Far above what a holder writes (`{"pid":…,"host":…,"since":…}`). */
const MAX_HOLDER_BYTES = 4096;

/**
 * Who holds the lock, as its holder wrote it; null when that cannot be told. Read without waiting
 * and within a bound: the file is only a courtesy for the message, and a FIFO or a link to a device
 * in its place must not hold the refused start-up forever, nor fill its memory.
 */
function readHolder(path: string): LockHolder | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    if (!fstatSync(fd).isFile()) return null;
    const buffer = Buffer.alloc(MAX_HOLDER_BYTES);
    const length = readSync(fd, buffer, 0, MAX_HOLDER_BYTES, 0);
    const parsed = JSON.parse(buffer.toString("utf8", 0, length)) as Partial<LockHolder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? "") };
  } catch {
    // The holder is still starting, or wrote nothing yet: the lock alone is enough to refuse.
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return null;
}

function lockedBy(stateDir: string, holder: LockHolder | null): StateError {
  const who = holder ? `pid ${holder.pid} on host ${holder.host}${holder.since ? `, since ${holder.since}` : ""}` : "a process that is still starting";
  return new StateError(
    "locked",
    `the state folder ${stateDir} is in use by another watchkeeper runtime (${who})`,
    "stop that runtime first, or give this one its own --state folder; the lock goes away by itself when the holding process ends, even after kill -9",
  );
}
