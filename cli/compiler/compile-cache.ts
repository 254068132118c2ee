import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { makeFolders } from "../../sdk/make-folders.js";

/**
 * The compiler's cache, keyed by content: what a compile learned about inputs it has seen, so
 * that a warm `wk validate` skips the work those inputs need. Every entry is sealed with an HMAC
 * whose key lives in the user's own cache folder, outside the project: an entry edited by hand,
 * copied from another machine or restored from a shared CI cache fails the check and is ignored,
 * so a cache cannot be made to say "clean" about code nobody checked. Entries also name the
 * exact content they were made from (see typecheck-cache.ts), which is checked against the disk.
 *
 * Where: PROJECT/node_modules/.cache/watchkeeper when the project has node_modules (the usual
 * place; deleting node_modules clears it), else ~/.cache/watchkeeper/projects/<hash of the path>
 * ($XDG_CACHE_HOME is honoured). WK_CACHE_DIR names the folder instead; WK_CACHE=off turns the
 * cache off. Any failure to read or write it only costs speed.
 */
export interface CompileCache {
  readonly dir: string;
  /** The value stored under `name` for exactly `key`, or null (missing, other key, tampered). */
  read<T>(name: string, key: string): T | null;
  write(name: string, key: string, value: unknown): void;
}

/** An entry larger than this is not read (the load state of 1,000 monitors is 1.5 MB). */
const ENTRY_LIMIT_BYTES = 256 * 2 ** 20;

/** How many per-project folders the user cache keeps (tests and temp checkouts make many). */
const KEEP_PROJECTS = 100;

/**
 * The project's cache, or null (cache off). A WK_CACHE_DIR that cannot be a folder of the cache
 * (under /proc or /sys, a file, read-only) turns the cache off too, and `warn` says so once: the
 * user asked for that folder.
 */
export function openCompileCache(projectDir: string, env: NodeJS.ProcessEnv = process.env, warn: (message: string) => void = () => {}): CompileCache | null {
  if (env["WK_CACHE"] === "off" || env["WK_CACHE"] === "0") return null;
  const chosen = env["WK_CACHE_DIR"] ? path.resolve(env["WK_CACHE_DIR"]) : null;
  let cache: CompileCache | null = null;
  try {
    cache = openSealedFolder(chosen ?? projectCacheDir(projectDir, userCacheRoot(env)), env);
  } catch {
    cache = null;
  }
  if (cache === null && chosen !== null) warn(`WK_CACHE_DIR ${chosen} cannot hold the compile cache (not a folder that can be made and written): compiling without a cache; point WK_CACHE_DIR at a writable folder, or unset it`);
  return cache;
}


/**
 * Any folder of entries sealed as the compile cache's are (the plan's cache of git-base compiles):
 * an entry put there by anyone without the user's key, a file committed into a checkout included,
 * is not read. Null when the key cannot be had: then nothing is cached.
 */
export function openSealedFolder(dir: string, env: NodeJS.ProcessEnv = process.env): CompileCache | null {
  try {
    const secret = macKey(userCacheRoot(env));
    makeFolders(dir);
    return sealedCache(dir, secret);
  } catch {
    return null;
  }
}

function userCacheRoot(env: NodeJS.ProcessEnv): string {
  return path.join(env["XDG_CACHE_HOME"] || path.join(homedir(), ".cache"), "watchkeeper");
}

function projectCacheDir(projectDir: string, userRoot: string): string {
  const inProject = existsSync(path.join(projectDir, "node_modules")) ? folderWithin(projectDir, ["node_modules", ".cache", "watchkeeper"]) : null;
  if (inProject !== null) return inProject;
  const projects = path.join(userRoot, "projects");
  const dir = path.join(projects, sha256(path.resolve(projectDir)).slice(0, 16));
  if (!existsSync(dir)) prune(projects);
  return dir;
}

/**
 * `root/a/b/...` (made where missing, unless `create` is false) when every part of it below `root`
 * that exists is a folder of its own: null when one is a symbolic link or not a folder. A checkout
 * can hold links a pull request committed (`.watchkeeper/plan-cache` pointing at the runner's
 * home): a cache that followed them would write its entries, and prune, wherever they point.
 */
export function folderWithin(root: string, parts: readonly string[], create = true): string | null {
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    let stat;
    try {
      stat = lstatSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return null;
      if (!create) return path.join(at, ...parts.slice(i + 1));
      try {
        mkdirSync(at);
      } catch (made) {
        if ((made as NodeJS.ErrnoException).code !== "EEXIST") return null;
      }
      stat = lstatSync(at);
    }
    if (stat.isSymbolicLink() || !stat.isDirectory()) return null;
  }
  return at;
}

/** Drops the least recently used project folders beyond KEEP_PROJECTS. */
function prune(projects: string): void {
  if (!existsSync(projects)) return;
  const folders = readdirSync(projects).map((name) => {
    const full = path.join(projects, name);
    return { full, used: statSync(full).mtimeMs };
  });
  folders.sort((a, b) => b.used - a.used);
  for (const old of folders.slice(KEEP_PROJECTS - 1)) rmSync(old.full, { recursive: true, force: true });
}

/** The user's HMAC key: 32 random bytes made on first use, readable by the user only. */
function macKey(userRoot: string): Buffer {
  const file = path.join(userRoot, "cache-key");
  if (!existsSync(file)) {
    makeFolders(userRoot, 0o700);
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  if (key.length < 32) throw new Error("the cache key is unreadable");
  return key;
}

function sealedCache(dir: string, secret: Buffer): CompileCache {
  // Over the body's bytes as they are on disk: what was sealed is exactly what is parsed.
  const mac = (name: string, key: string, body: Buffer) => createHmac("sha256", secret).update(`${name}\0${key}\0`).update(body).digest();
  const file = (name: string) => path.join(dir, `${name}.json`);
  return {
    dir,
    read<T>(name: string, key: string): T | null {
      try {
        // One line of header (key and seal), then the body as written. The seal is checked over
        // the bytes as read and the body decoded once, for the parse (the load state is megabytes).
        const bytes = regularFile(file(name));
        if (bytes === null) return null;
        const newline = bytes.indexOf(0x0a);
        if (newline < 0) return null;
        const header = JSON.parse(bytes.toString("utf8", 0, newline)) as { key?: unknown; mac?: unknown };
        if (header.key !== key || typeof header.mac !== "string") return null;
        const body = bytes.subarray(newline + 1);
        const expected = mac(name, key, body);
        const given = Buffer.from(header.mac, "hex");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
        return JSON.parse(body.toString("utf8")) as T;
      } catch {
        return null;
      }
    },
    write(name, key, value) {
      try {
        const body = Buffer.from(JSON.stringify(value), "utf8");
        const temp = `${file(name)}.${process.pid}.${randomBytes(4).toString("hex")}`;
        const header = Buffer.from(JSON.stringify({ key, mac: mac(name, key, body).toString("hex") }) + "\n", "utf8");
        writeFileSync(temp, Buffer.concat([header, body]));
        renameSync(temp, file(name));
      } catch {
        // A cache that cannot be written only costs the next run its speed.
      }
    },
  };
}

/**
 * The bytes of a regular file of at most ENTRY_LIMIT_BYTES; null for anything else. The cache
 * folder can sit in a checkout (node_modules/.cache): a FIFO or a link to /dev/zero put there must
 * not hang the compile or fill its memory. O_NONBLOCK: opening a FIFO does not wait for a writer.
 */
function regularFile(file: string): Buffer | null {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > ENTRY_LIMIT_BYTES) return null;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Names, sizes and times of every file under `dir`: the SDK a project is checked against. */
export function treeFingerprint(dir: string): string {
  const parts: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const s = statSync(full);
        parts.push(`${full}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return sha256(parts.sort().join("\n"));
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}
