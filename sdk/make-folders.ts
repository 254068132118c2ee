import { mkdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * `dir` and the folders above it, made one at a time where missing, like `mkdir -p`. Not
 * `mkdir`'s `recursive` option: on Node 20 it never returns for a path under /proc
 * (`/proc/x/cache`, sync or async), and a cache, output or state folder a user names may be one.
 * One level at a time, such a path fails at once (ENOENT) with the usual error and its `path`.
 */
export function makeFolders(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const found = statSync(at, { throwIfNoEntry: false });
    if (found !== undefined) {
      if (!found.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR", syscall: "mkdir", path: at });
      break;
    }
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of missing) {
    try {
      mkdirSync(at, mode === undefined ? undefined : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(at).isDirectory()) throw error;
    }
  }
}
