import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, realpath, symlink } from "node:fs/promises";
import { dirname, join, posix, relative, sep } from "node:path";
import { promisify } from "node:util";
import { isInside } from "../compiler/paths.js";
import { EXIT, UserError } from "../errors.js";
import { makeFolders } from "../../sdk/make-folders.js";

const exec = promisify(execFile);

/**
 * Files that decide which packages a folder's `node_modules` holds. Lockfiles count byte for byte;
 * a package.json only by the fields that choose packages (a changed script or version is no reason
 * to install again).
 */
const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb"] as const;
const NPM_LOCKFILES = new Set(["package-lock.json", "npm-shrinkwrap.json"]);
const SELECTING_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies", "overrides", "resolutions", "workspaces", "pnpm"] as const;

/** How long the base's own install may take before the plan gives up on it. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** Where the base is checked out, and the working tree it is compared with. */
export interface BaseCheckout {
  /** The working tree's repository top (real path). */
  top: string;
  /** The working tree's project folder. */
  projectDir: string;
  /** The project folder relative to `top` ("" at the top). */
  rel: string;
  /** The base commit. */
  commit: string;
  /** The base's worktree (its top). */
  tree: string;
  /** The ref as the user named it, for messages. */
  ref: string;
}

/**
 * Gives the base's checkout the dependencies the base had, so that a plan compares the base as it
 * is with the working tree as it is. `node_modules` is not in git, so the base would otherwise
 * resolve packages from the working tree's installs, and two kinds of change would vanish from
 * the plan, each making the base evaluate like the head:
 *
 * - Packages linked from inside the repository (npm, yarn or pnpm workspaces, `file:`
 *   dependencies): the working tree's links point at the working tree's files. The base gets the
 *   same links pointing at the same paths in its own checkout.
 * - Registry packages: the working tree's installs are the base's only while the files that choose
 *   them are the same (lockfiles; package.json's dependency fields) in the project folder and every
 *   folder above it up to the repository's top. When they differ, the base's own packages are
 *   installed in its checkout from its own npm lockfile (`npm ci --ignore-scripts`: no package's
 *   install script runs); without an npm lockfile, or when that install fails, the plan stops with
 *   the reason instead of showing a base it did not evaluate.
 */
export async function provideBaseDependencies(base: BaseCheckout): Promise<BaseDependencies> {
  const changed = await changedDependencyFiles(base);
  if (changed.length > 0) {
    await installBaseDependencies(base, changed);
    return { fromCheckout: [] };
  }
  const baseProject = join(base.tree, base.rel);
  const pairs: Array<[string, string]> = [[join(base.top, "node_modules"), join(base.tree, "node_modules")]];
  if (base.rel !== "") pairs.push([join(base.projectDir, "node_modules"), join(baseProject, "node_modules")]);
  const fromCheckout: string[] = [];
  for (const [from, to] of pairs) fromCheckout.push(...(await linkModules(from, to, base)));
  return { fromCheckout };
}

/** How the base got its packages, for the message when it does not compile. */
export interface BaseDependencies {
  /** Packages that live in the repository, read from the base's checkout (each as "name (path)"). */
  fromCheckout: string[];
}

/** The dependency files (paths from the top) whose selection differs between the base commit and the working tree. */
export async function changedDependencyFiles(base: Pick<BaseCheckout, "top" | "rel" | "commit">): Promise<string[]> {
  const folders = foldersUpTo(base.rel);
  const paths = folders.flatMap((folder) => ["package.json", ...LOCKFILES].map((name) => posix.join(folder, name)));
  const atBase = await blobsAt(base.top, base.commit, paths);
  const changed: string[] = [];
  for (const path of paths) {
    const here = await readRegularFile(join(base.top, ...path.split("/")));
    const there = atBase.has(path) ? await gitBlob(base.top, atBase.get(path)!) : null;
    if (here === null && there === null) continue;
    if (here === null || there === null || here === OTHER) {
      changed.push(path);
      continue;
    }
    const same = path.endsWith("package.json") ? selection(here) === selection(there) : here.equals(there);
    if (!same) changed.push(path);
  }
  return changed;
}

/** Something in the working tree where a dependency file would be that is not a file (a link, a folder, a device): never the same. */
const OTHER = Buffer.alloc(0);

/** A regular file's bytes, null when there is nothing, OTHER when it is not a regular file (never read: a link to a device would not end). */
async function readRegularFile(path: string): Promise<Buffer | null> {
  const info = await lstat(path).catch(() => null);
  if (info === null) return null;
  if (!info.isFile()) return OTHER;
  return readFile(path);
}

/** "", "a", "a/b" for "a/b": the project folder and every folder above it up to the top, as git paths. */
function foldersUpTo(rel: string): string[] {
  const parts = rel === "" ? [] : rel.split(sep).filter((p) => p !== "");
  return [".", ...parts.map((_, i) => parts.slice(0, i + 1).join("/"))];
}

/** The package.json fields that choose packages, as comparable text (the whole text when it is not a JSON object). */
function selection(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (json === null || typeof json !== "object" || Array.isArray(json)) return text;
    return JSON.stringify(SELECTING_FIELDS.map((field) => json[field] ?? null));
  } catch {
    return text;
  }
}

/** The blob ids of those paths that exist at the commit. */
async function blobsAt(top: string, commit: string, paths: string[]): Promise<Map<string, string>> {
  const { stdout } = await exec("git", ["--literal-pathspecs", "ls-tree", "-z", commit, "--", ...paths], { cwd: top, maxBuffer: 1024 * 1024 });
  const blobs = new Map<string, string>();
  for (const entry of stdout.split("\0")) {
    // "<mode> blob <id>\t<path>"
    const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (match) blobs.set(posix.normalize(match[2]!), match[1]!);
  }
  return blobs;
}

async function gitBlob(top: string, id: string): Promise<Buffer> {
  const { stdout } = await exec("git", ["cat-file", "blob", id], { cwd: top, encoding: "buffer", maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/**
 * Installs the base's own packages in its checkout, from its npm lockfile nearest the project.
 * Refuses (a user error naming the files and the fixes) when there is none or the install fails.
 */
async function installBaseDependencies(base: BaseCheckout, changed: string[]): Promise<void> {
  const what = `the base ${base.ref} chooses other packages than this working tree (${changed.join(", ")} ${changed.length === 1 ? "differs" : "differ"})`;
  const alternatives = "or compare with what is deployed, which needs no install: --base-stack NAME or --base-manifest FILE";
  const folders = foldersUpTo(base.rel).reverse();
  const lockDir = folders.find((folder) => [...NPM_LOCKFILES].some((name) => existsSync(join(base.tree, ...folder.split("/"), name))));
  if (lockDir === undefined) {
    const other = folders.flatMap((folder) => LOCKFILES.filter((name) => !NPM_LOCKFILES.has(name) && existsSync(join(base.tree, ...folder.split("/"), name))).map((name) => posix.join(folder, name)));
    throw new UserError(
      `${what}, and wk plan installs a base's packages only from an npm lockfile (package-lock.json or npm-shrinkwrap.json); ${other.length > 0 ? `the base has ${other.join(", ")}` : "the base has no lockfile"}`,
      EXIT.findings,
      `commit a package-lock.json (npm install), ${alternatives}`,
    );
  }
  const cwd = join(base.tree, ...lockDir.split("/"));
  try {
    await exec(npmCommand(), ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd,
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false" },
      // Windows runs npm.cmd only through a shell; the arguments are fixed, nothing is interpolated.
      shell: process.platform === "win32",
    });
  } catch (error) {
    const e = error as { stderr?: string; code?: unknown; killed?: boolean; message?: string };
    const reason = e.killed ? `it did not finish in ${INSTALL_TIMEOUT_MS / 60_000} minutes` : firstLines(e.stderr || e.message || String(error), 6);
    throw new UserError(
      `${what}; installing the base's packages (npm ci in ${lockDir === "." ? "the repository's top" : lockDir}) failed: ${reason}`,
      EXIT.findings,
      `make npm ci work for the base (registry access and credentials as in the install step before wk plan), ${alternatives}`,
    );
  }
}

/** npm as the Node that runs wk ships it, else the one on PATH. */
function npmCommand(): string {
  const beside = join(dirname(process.execPath), process.platform === "win32" ? "npm.cmd" : "npm");
  return existsSync(beside) ? beside : "npm";
}

/** npm says what went wrong first, then its usage or where its log is. */
function firstLines(text: string, n: number): string {
  const lines = text.split("\n").filter((line) => line.replace(/^npm (error|ERR!)/, "").trim() !== "" && !/complete log of this run/.test(line));
  return `\n${lines.slice(0, n).join("\n")}${lines.length > n ? "\n..." : ""}`;
}

/**
 * The base's `to` folder of packages from the working tree's `from`: the whole folder linked when
 * no package in it is linked from inside the repository, else a folder of links, one per package,
 * where a package that lives in the repository points at the base's copy of it.
 * Nothing is done when `from` does not exist or the base already has `to` (committed packages).
 */
async function linkModules(from: string, to: string, base: BaseCheckout): Promise<string[]> {
  if (!existsSync(from) || existsSync(to)) return [];
  const { entries, links } = await packageEntries(from);
  const inRepo = new Map<string, string>();
  for (const entry of links) {
    const target = await inRepository(join(from, entry), base.top);
    if (target !== null) inRepo.set(entry, target);
  }
  if (inRepo.size === 0) {
    await symlink(from, to, "dir");
    return [];
  }
  await mkdir(to);
  const realTree = await realpath(base.tree);
  const fromCheckout: string[] = [];
  for (const entry of entries) {
    const link = join(to, entry);
    makeFolders(dirname(link));
    const target = inRepo.get(entry);
    if (target === undefined) {
      await symlink(join(from, entry), link);
      continue;
    }
    // The base's copy of the package; where the base has none, the package is left out.
    const atBase = join(base.tree, target);
    fromCheckout.push(`${entry} (${target.split(sep).join("/") || "."})`);
    const real = await realpath(atBase).catch(() => null);
    if (real === null) continue;
    await symlink(atBase, link, "dir");
    // Its own packages (not hoisted) come from the working tree's install of it; written only
    // inside the base's checkout (the base may have a link where the working tree has a folder).
    const own = join(base.top, target, "node_modules");
    if (isInside(realTree, real) && existsSync(own) && !existsSync(join(real, "node_modules"))) await symlink(own, join(real, "node_modules"), "dir");
  }
  return fromCheckout;
}

/** The names in a `node_modules` folder, scoped packages as "@scope/name", and which of them are links. */
async function packageEntries(dir: string): Promise<{ entries: string[]; links: string[] }> {
  const entries: string[] = [];
  const links: string[] = [];
  const add = (name: string, link: boolean) => {
    entries.push(name);
    if (link) links.push(name);
  };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith("@") && entry.isDirectory()) {
      for (const inner of await readdir(join(dir, entry.name), { withFileTypes: true })) add(`${entry.name}/${inner.name}`, inner.isSymbolicLink());
    } else {
      add(entry.name, entry.isSymbolicLink());
    }
  }
  return { entries, links };
}

/**
 * Where a linked package lives in the repository (a path from the top), or null: a link out of
 * the repository or into a `node_modules` folder (an installed package).
 */
async function inRepository(path: string, top: string): Promise<string | null> {
  const real = await realpath(path).catch(() => null);
  if (real === null) return null;
  if (!isInside(top, real)) return null;
  const rel = relative(top, real);
  if (rel.split(sep).includes("node_modules") || rel.split(sep)[0] === ".git") return null;
  return rel;
}
