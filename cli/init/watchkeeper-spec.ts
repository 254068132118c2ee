import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";

/** The dependency `wk init` writes for `watchkeeper`, and how it was decided (shown to the user). */
export interface WatchkeeperSpec {
  /** What goes into package.json: `0.1.0`, `file:/…/watchkeeper-0.1.0.tgz` or `file:/…/checkout`. */
  spec: string;
  /** Why, in a few words: "from the npm registry", "from the tarball …". */
  origin: string;
}

/** Written by `npm pack`/`npm publish` (scripts/stamp-install-origin.mjs) into the build. */
export const INSTALL_ORIGIN_FILE = path.join("build", "install-origin.json");

/**
 * The exact Watchkeeper that runs, as a dependency another project can install:
 *
 * 1. Not under a `node_modules` folder: a checkout (or `npm link` to one, which resolves to the
 *    checkout): the folder itself.
 * 2. Installed into a project or by npx: npm records the source in the hidden lockfile
 *    `node_modules/.package-lock.json` (`resolved`): a registry URL means the version, `file:`
 *    the tarball or folder, relative to the folder holding that node_modules.
 * 3. Installed globally: npm keeps no lockfile there, so the package says itself how it was
 *    packed: `npm publish` (a version installs it) or `npm pack` (only this copy does).
 * 4. Anything else (another package manager's layout): the version, which is what a registry
 *    install looks like.
 */
export function detectWatchkeeperSpec(packageRoot: string): WatchkeeperSpec {
  const root = realpathSync(packageRoot);
  const version = packageVersion(root);
  const modules = nearestNodeModules(root);
  if (modules === null) return { spec: `file:${root}`, origin: `from the folder ${root}` };

  const recorded = lockfileResolved(modules, root);
  if (recorded !== null) {
    if (recorded.startsWith("file:")) {
      const target = path.resolve(path.dirname(modules), recorded.slice("file:".length));
      return { spec: `file:${target}`, origin: target.endsWith(".tgz") ? `from the tarball ${target}` : `from the folder ${target}` };
    }
    if (/^https?:\/\//.test(recorded)) return { spec: version, origin: "from the npm registry" };
    return { spec: recorded, origin: `from ${recorded}` };
  }
  if (packedFor(root) === "pack") return { spec: `file:${root}`, origin: `from a packed tarball, installed at ${root}` };
  return { spec: version, origin: "from the npm registry" };
}

/**
 * `wk init --from SPEC`: a path (to a tarball or folder) becomes a `file:` dependency, relative
 * when it lies inside the new project (so the repository carries it), absolute otherwise;
 * anything else (a version, a range, a git URL) is written as given.
 */
export function explicitWatchkeeperSpec(from: string, projectDir: string, cwd: string): WatchkeeperSpec {
  const candidate = path.resolve(cwd, from.startsWith("file:") ? from.slice("file:".length) : from);
  if (!existsSync(candidate)) return { spec: from, origin: `as given (--from ${from})` };
  const inside = path.relative(projectDir, candidate);
  const local = inside !== "" && !inside.startsWith("..") && !path.isAbsolute(inside);
  const spec = local ? `file:${inside.split(path.sep).join("/")}` : `file:${candidate}`;
  return { spec, origin: `as given (--from ${from})` };
}

function packageVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`${root}/package.json has no version`);
  return manifest.version;
}

/** The `node_modules` folder the package sits in, if any. */
function nearestNodeModules(root: string): string | null {
  for (let dir = path.dirname(root); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (path.basename(dir) === "node_modules") return dir;
  }
  return null;
}

/** `resolved` of this package in npm's hidden lockfile, or null when npm left no record. */
function lockfileResolved(modules: string, root: string): string | null {
  const lockfile = path.join(modules, ".package-lock.json");
  if (!existsSync(lockfile)) return null;
  try {
    const lock = JSON.parse(readFileSync(lockfile, "utf8")) as { packages?: Record<string, { resolved?: unknown }> };
    const key = path.relative(path.dirname(modules), root).split(path.sep).join("/");
    const resolved = lock.packages?.[key]?.resolved;
    return typeof resolved === "string" && resolved !== "" ? resolved : null;
  } catch {
    return null;
  }
}

function packedFor(root: string): "pack" | "publish" | null {
  try {
    const stamp = JSON.parse(readFileSync(path.join(root, INSTALL_ORIGIN_FILE), "utf8")) as { packedFor?: unknown };
    return stamp.packedFor === "pack" || stamp.packedFor === "publish" ? stamp.packedFor : null;
  } catch {
    return null;
  }
}
