import type { Database } from "better-sqlite3";

const wrappers = new WeakMap<Database, (work: () => unknown) => unknown>();

/**
 * Runs `work` in a transaction of `db` (a savepoint inside one), through one better-sqlite3
 * transaction function per database that takes the work as its argument. `db.transaction(fn)`
 * builds four wrapper functions and defines five properties on each at every call: on a commit
 * per check that was 5 % of everything the runtime allocated (bench/results/runtime.md).
 */
export function atomically<T>(db: Database, work: () => T): T {
  let run = wrappers.get(db);
  if (run === undefined) {
    run = db.transaction((w: () => unknown) => w());
    wrappers.set(db, run);
  }
  return run(work) as T;
}
