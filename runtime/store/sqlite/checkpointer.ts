import type { Database } from "better-sqlite3";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StateError } from "../state-error.js";

/** How often the helper is asked to checkpoint; SQLite's own rule (1,000 pages) fires a few times a second at 1,000 results/s. */
export const CHECKPOINT_EVERY_MS = 1_000;
/** A helper that has not answered for this long is given up on, and checkpoints go back to the event loop. */
export const CHECKPOINT_STALL_MS = 120_000;
/** SQLite's own auto-checkpoint threshold (pages), restored when the helper is gone or far behind. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;
/**
 * WAL frames since it last started over past which the helper counts as behind: writers that can
 * wait (the pruner) wait until it catches up and the WAL starts over (writesBehind). 16,384
 * frames of 4 KB: 64 MB, the WAL's size limit.
 */
export const BEHIND_FRAMES = 16_384;
/**
 * Past this many frames the connection checkpoints by itself too, as it did without a helper, so
 * that the WAL cannot outgrow the disk whatever writes it (1 GB of 4 KB pages): its checkpoint
 * right after a commit lets the next commit start the WAL over. A last resort.
 */
export const FAR_BEHIND_FRAMES = 262_144;
/**
 * WAL frames since it last started over from which commits may be held a moment so that it can
 * start over (holdCommits): 4,096 frames, one block of the WAL index (32 KB).
 */
export const RESTART_FROM_FRAMES = 4_096;
/** Frames not yet copied up to which a hold is worth it: the helper copies that many in milliseconds. */
const HOLD_UNCOPIED_FRAMES = 1_024;
/** The longest commits are held for the helper's pass. */
export const HOLD_MAX_MS = 100;
/** The WAL index header's version (SQLite's walformat): anything else is not read. */
const WAL_INDEX_VERSION = 3_007_000;
/** The WAL index is in the machine's own byte order. */
const LITTLE_ENDIAN = endianness() === "LE";

const DONE = "wk-checkpoint-done";
const HOLD_DONE = "wk-checkpoint-hold-done";
// One pass while commits are held: it copies the few frames left, and the held commit, finding
// every frame copied, starts the WAL over.
const HOLD_REQUEST = `PRAGMA wal_checkpoint(PASSIVE);\nSELECT '${HOLD_DONE}';\n`;
// Three passes: the runtime commits all the while, so the first pass leaves what was committed
// while it ran, and the WAL only starts over when a commit begins with every frame copied. Each
// request ends with a line of its own, so an answer is recognised whatever the pragmas printed
// (a row `busy|log|checkpointed` each, or an error on stderr).
const REQUEST = `PRAGMA wal_checkpoint(PASSIVE);\nPRAGMA wal_checkpoint(PASSIVE);\nPRAGMA wal_checkpoint(PASSIVE);\nSELECT '${DONE}';\n`;

export interface Checkpointer {
  /** Ends the helper; the connection checkpoints by itself again. Safe to call twice. */
  stop(): void;
  /** Resolves once the helper has answered its first request (for tests); rejects when it never does. */
  readonly ready: Promise<void>;
  /** False once stopped or given up on. */
  readonly running: boolean;
  /**
   * True while the WAL holds more than `behindFrames` frames since it last started over (read from
   * the WAL index now; or left uncopied by the helper's last request), or before the helper's
   * first answer. A writer that can wait should: the WAL starts over once the helper catches up.
   */
  behind(): boolean;
  /**
   * A promise the runtime's next commit should wait for (null: go on now). Given while the WAL has
   * grown past `restartFromFrames` and the helper has all but caught up: the helper copies the rest,
   * and the held commit, finding every frame copied, starts the WAL over. At most `maxHoldMs`, at
   * most once every `everyMs`.
   */
  holdCommits(): Promise<void> | null;
  /** Closes the WAL index file; only once the database connection is closed (see walIndex). */
  release(): void;
  /** The helper's process id (null when it could not start). */
  readonly pid: number | null;
}

export interface CheckpointerOptions {
  /** The `sqlite3` command-line shell to run (findSqliteShell()). */
  shell: string;
  everyMs?: number;
  stallMs?: number;
  behindFrames?: number;
  farBehindFrames?: number;
  restartFromFrames?: number;
  maxHoldMs?: number;
  /** Told when the helper is given up on: checkpoints are back on the event loop. */
  onFallback?: (reason: string) => void;
}

/**
 * The `sqlite3` command-line shell on PATH, or null. It is SQLite's own program (Debian's
 * `sqlite3` package, in the image): about 4.4 MB of RSS, where a worker thread with a second
 * better-sqlite3 connection cost the runtime 9.5 MB and a node child process about 49 MB.
 */
export function findSqliteShell(path: string | undefined = process.env.PATH): string | null {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, "sqlite3");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

/**
 * Runs the WAL checkpoints of `db` in a helper process instead of on the event loop.
 *
 * On a large state file a checkpoint copies pages spread over the file and syncs it: milliseconds
 * each, several times a second, on the runtime's thread inside a commit (bench/results/history.md).
 * Here the connection's auto-checkpoint is turned off and the `sqlite3` shell, on a connection of
 * its own, runs `PRAGMA wal_checkpoint(PASSIVE)` every second: PASSIVE never waits for and never
 * blocks the runtime's commits, and syncs the WAL and the file as the runtime's own checkpoint
 * would. Once a checkpoint has copied the whole WAL, the runtime's next commit starts the WAL over
 * from its beginning, as before.
 *
 * The helper gets an empty environment, SQLite's safe mode (no file access beyond the database, no
 * ATTACH, no extensions), no start-up file, and nothing but the two fixed statements on its stdin.
 * If it exits, answers nothing for `stallMs`, or cannot start, the connection's auto-checkpoint is
 * turned back on and `onFallback` is told: the WAL never grows unchecked. A kill at any moment is
 * safe: SQLite's checkpoint is crash-safe by design.
 */
export function startCheckpointer(db: Database, databasePath: string, o: CheckpointerOptions): Checkpointer {
  const everyMs = o.everyMs ?? CHECKPOINT_EVERY_MS;
  const stallMs = o.stallMs ?? CHECKPOINT_STALL_MS;
  const behindFrames = o.behindFrames ?? BEHIND_FRAMES;
  const farBehindFrames = o.farBehindFrames ?? FAR_BEHIND_FRAMES;
  const restartFromFrames = o.restartFromFrames ?? RESTART_FROM_FRAMES;
  const maxHoldMs = o.maxHoldMs ?? HOLD_MAX_MS;
  let child: ChildProcessWithoutNullStreams | null = null;
  let stopped = false;
  let sentAt: number | null = null;
  let stderrTail = "";
  /** Frames the helper's last pass left uncopied (its own answer, for a WAL index that cannot be read). */
  let behind = 0;
  let helping = false;
  let answered = false;
  // Opened once and closed only after the connection (release): closing any descriptor of a file
  // drops every POSIX lock this process holds on it, SQLite's own included.
  let shm = openWalIndex(`${databasePath}-shm`);
  const header = Buffer.alloc(100);
  // Frames in the WAL since it last started over: the WAL starts over only when a commit begins
  // with every frame copied, so a helper that keeps copying but never quite catches up still
  // lets it grow. The helper's own answer counts too (a WAL index that cannot be read).
  const backlog = () => Math.max(behind, shm === null ? 0 : (walIndex(shm, header)?.frames ?? 0));
  let hold: { done: Promise<void>; release: () => void; timer: NodeJS.Timeout } | null = null;
  let nextHoldAt = 0;
  const endHold = () => {
    if (hold === null) return;
    clearTimeout(hold.timer);
    hold.release();
    hold = null;
  };
  let markReady: () => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    markReady = res;
    failReady = rej;
  });
  ready.catch(() => undefined);

  const giveUp = (reason: string) => {
    if (stopped) return;
    stop();
    failReady(new Error(reason));
    o.onFallback?.(reason);
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    endHold();
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };

  db.pragma("wal_autocheckpoint = 0");
  try {
    child = spawn(o.shell, ["-batch", "-safe", "-init", "/dev/null", resolve(databasePath)], { stdio: ["pipe", "pipe", "pipe"], env: {} });
  } catch (error) {
    child = null;
    queueMicrotask(() => giveUp(`the sqlite3 shell could not start: ${(error as Error).message}`));
  }
  const ask = () => {
    if (stopped || child === null) return;
    const now = Date.now();
    if (sentAt === null) {
      sentAt = now;
      child.stdin.write(REQUEST);
    } else if (now - sentAt > stallMs) {
      giveUp(`the sqlite3 shell answered no checkpoint for ${Math.round(stallMs / 1000)} s`);
    }
  };
  const timer = setInterval(ask, everyMs);
  timer.unref();
  ask();
  if (child !== null) {
    const c = child;
    let pending = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => {
      pending += d;
      let at: number;
      while ((at = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, at).trim();
        pending = pending.slice(at + 1);
        const row = /^(\d+)\|(-?\d+)\|(-?\d+)$/.exec(line);
        if (row) behind = Math.max(0, Number(row[2]) - Number(row[3]));
        if (line === HOLD_DONE) endHold();
        if (line === DONE) {
          sentAt = null;
          answered = true;
          markReady();
          // Far behind: SQLite's own checkpoints help (and slow the writer) until it catches up.
          const wantHelp = backlog() > farBehindFrames;
          if (wantHelp !== helping && !stopped && db.open) {
            helping = wantHelp;
            db.pragma(`wal_autocheckpoint = ${helping ? SQLITE_AUTOCHECKPOINT_PAGES : 0}`);
          }
        }
      }
      // A shell that writes without end is not one to keep.
      if (pending.length > 4_096) giveUp("the sqlite3 shell wrote an unexpected answer");
    });
    c.stderr.setEncoding("utf8").on("data", (d: string) => void (stderrTail = (stderrTail + d).slice(-500)));
    c.stdin.on("error", () => undefined);
    c.once("error", (error) => giveUp(`the sqlite3 shell could not run: ${error.message}`));
    c.once("exit", (code, signal) => {
      const said = stderrTail.trim().split("\n").pop() ?? "";
      giveUp(`the sqlite3 shell stopped (${signal ?? `exit ${code}`})${said ? `: ${said}` : ""}`);
    });
  }
  return {
    stop,
    ready,
    get running() {
      return !stopped;
    },
    // Until its first answer the helper has not caught up with anything: a large file's first
    // prune run would otherwise fill the WAL for seconds.
    // A held commit is the one that starts the WAL over: other writers wait for it too.
    behind: () => !stopped && (!answered || hold !== null || backlog() > behindFrames),
    holdCommits: () => {
      if (hold !== null) return hold.done;
      if (stopped || child === null || shm === null || !answered) return null;
      const now = Date.now();
      if (now < nextHoldAt) return null;
      const wal = walIndex(shm, header);
      if (wal === null || wal.frames < restartFromFrames || wal.frames - wal.copied > HOLD_UNCOPIED_FRAMES) return null;
      nextHoldAt = now + everyMs;
      let release: () => void = () => undefined;
      const done = new Promise<void>((res) => (release = res));
      hold = { done, release, timer: setTimeout(endHold, maxHoldMs) };
      child.stdin.write(HOLD_REQUEST);
      return done;
    },
    release: () => {
      if (shm !== null && !db.open) {
        closeSync(shm);
        shm = null;
      }
    },
    pid: child?.pid ?? null,
  };
}

/**
 * Frames in the WAL since it last started over, and how many of them a checkpoint has copied into
 * the file, from the WAL index's header (SQLite's walformat.html: the header's version at byte 0
 * and mxFrame at byte 16, the checkpoint's nBackfill at byte 96 after the header's two copies, in
 * native byte order); null when it cannot be read or is not a header SQLite wrote. Read without
 * SQLite's locks: a moment's estimate, which is all its callers need.
 */
/**
 * The WAL index opened for reading, or null when it cannot be opened (the helper's own answer is
 * used then). Opened without waiting: a FIFO put in its place after the state was checked would
 * otherwise block the open, and the runtime with it, for good. The descriptor, not the name, is
 * then checked: anything but a regular file is refused with a StateError naming it.
 */
export function openWalIndex(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return null;
  }
  const s = fstatSync(fd);
  if (s.isFile()) return fd;
  closeSync(fd);
  const kind = s.isDirectory() ? "a folder" : s.isFIFO() ? "a FIFO" : s.isSocket() ? "a socket" : "a device";
  throw new StateError("unusable", `${path} is ${kind}, not a file`, `the state folder holds only the runtime's own files: stop the runtime, move ${path} away, and start it again`);
}

function walIndex(fd: number, buf: Buffer): { frames: number; copied: number } | null {
  try {
    if (readSync(fd, buf, 0, 100, 0) < 100) return null;
    const u32 = (at: number) => (LITTLE_ENDIAN ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    return u32(0) === WAL_INDEX_VERSION ? { frames: u32(16), copied: u32(96) } : null;
  } catch {
    return null;
  }
}

/** A WAL left this large by the last run is copied into the file before the runtime opens it. */
export const LEFTOVER_WAL_FROM_BYTES = 64 * 2 ** 20;
/** How long start-up waits for that copy; past it the runtime opens the WAL as it is. */
const LEFTOVER_WAL_TIMEOUT_MS = 60_000;

/**
 * Before the runtime's connection opens a database whose last run ended with a large WAL (a
 * kill during heavy pruning, or a crash), the `sqlite3` shell, in a process of its own, copies the
 * WAL into the file and cuts it to nothing (`wal_checkpoint(TRUNCATE)`), then closes.
 *
 * The runtime's connection would otherwise rebuild the WAL index for every frame and map all of
 * it: 32 KB per 4,096 frames, so about 2 MB of its RSS for a 1 GB WAL, held for as long as it
 * runs (SQLite never unmaps it), and the runtime's peak RSS with it (bench/results/history.md).
 * The copy is SQLite's own checkpoint, safe to kill at any moment; when the shell is missing, fails
 * or takes longer than the timeout, the runtime opens the WAL as it is, as it always did. Returns
 * what was done, for the log, or null when there was nothing to do.
 */
export function checkpointLeftoverWal(
  databasePath: string,
  shell: string | null,
  o: { fromBytes?: number; timeoutMs?: number } = {},
): { level: "info" | "warn"; message: string } | null {
  const wal = `${databasePath}-wal`;
  let walBytes: number;
  try {
    // Only the state folder's own regular files: opening checks them again and refuses anything else.
    if (!lstatSync(databasePath).isFile()) return null;
    const stat = lstatSync(wal);
    if (!stat.isFile()) return null;
    const shm = lstatSync(`${databasePath}-shm`, { throwIfNoEntry: false });
    if (shm !== undefined && !shm.isFile()) return null;
    walBytes = stat.size;
  } catch {
    return null;
  }
  if (shell === null || walBytes < (o.fromBytes ?? LEFTOVER_WAL_FROM_BYTES)) return null;
  const mb = Math.round(walBytes / 2 ** 20);
  const started = Date.now();
  const run = spawnSync(shell, ["-batch", "-safe", "-init", "/dev/null", resolve(databasePath)], {
    input: "PRAGMA wal_checkpoint(TRUNCATE);\n",
    env: {},
    encoding: "utf8",
    timeout: o.timeoutMs ?? LEFTOVER_WAL_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  // The answer is "busy|log|checkpointed": 0 busy means every frame was copied.
  const answer = /^(\d+)\|(-?\d+)\|(-?\d+)\s*$/m.exec(run.stdout ?? "");
  if (run.status === 0 && answer !== null && answer[1] === "0") {
    return { level: "info", message: `the ${mb} MB WAL left by the last run was copied into state.db by the sqlite3 shell before opening (${seconds} s)` };
  }
  const said = `${run.stderr ?? ""}${run.stdout ?? ""}`.trim().slice(0, 200);
  const why = run.signal ? `was stopped after ${seconds} s` : said ? `answered ${JSON.stringify(said)}` : `could not run: ${run.error?.message ?? `exit ${run.status}`}`;
  return { level: "warn", message: `the ${mb} MB WAL left by the last run could not be copied into state.db before opening (the sqlite3 shell ${why}); opening it as it is` };
}
