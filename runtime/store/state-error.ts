/** What is wrong with the state folder; each is the environment's problem, never a bug. */
export type StateProblem = "locked" | "corrupt" | "read-only" | "unusable";

/**
 * The state folder or its database cannot be used: another runtime holds it, the database is
 * corrupt, or the folder or file cannot be written. The message names the path; the hint says
 * what the operator does about it. `wk run` prints both and exits 1.
 */
export class StateError extends Error {
  constructor(
    readonly problem: StateProblem,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "StateError";
  }
}

const PERMISSION_CODES = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * Classifies an error from the file system or SQLite while opening the state; null when it is
 * not the environment's fault (the caller rethrows it as the bug it is).
 */
export function stateErrorOf(error: unknown, path: string): StateError | null {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  const detail = error instanceof Error ? error.message : String(error);
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) return corruptState(path, detail);
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code === "SQLITE_PERM" || code === "SQLITE_AUTH" || PERMISSION_CODES.has(code)) {
    return readOnlyState(path, detail);
  }
  if (code.startsWith("SQLITE_IOERR") || code === "SQLITE_FULL" || code === "ENOSPC" || code === "EIO") {
    return new StateError("unusable", `cannot use the state at ${path}: ${detail}`, "check the disk behind the state folder (free space, I/O errors), then start again");
  }
  return null;
}

export function corruptState(path: string, detail: string): StateError {
  return new StateError(
    "corrupt",
    `the state database ${path} is corrupt (${detail})`,
    `stop every runtime on it, move ${path} and its -wal and -shm files aside together (or restore them from a backup), then start again: ` +
      "the runtime creates a new, empty state, so alerts firing now page again and incidents it had open must be resolved by hand",
  );
}

export function readOnlyState(path: string, detail: string): StateError {
  return new StateError(
    "read-only",
    `the state at ${path} cannot be written (${detail})`,
    "the runtime's user needs read and write permission on the state folder and every file in it (state.db, state.db-wal, state.db-shm, runtime.lock), on a writable file system",
  );
}
