import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { EXIT, UserError } from "../errors.js";

const exec = promisify(execFile);

/** A submodule of the base commit: its path from the top (`/`-separated) and the commit the base records. */
interface Gitlink {
  path: string;
  commit: string;
}

/**
 * Checks out the base's submodules in its worktree, each at the commit the base records.
 * `git worktree add` leaves a submodule's folder empty, so a project that imports a file from a
 * submodule (shared thresholds, a team's policies) did not compile at any base, and the plan said
 * so with a hint to pick another ref. Each submodule is checked out from the working tree's clone
 * of it, in a detached worktree of that clone (no fetch: the plan never reaches the network), so
 * the base reads the submodule as committed at the base, not as it is in the working tree.
 *
 * A submodule the working tree has not cloned either is left empty, as the working tree has it. One
 * that is cloned but lacks the base's commit is refused with what to fetch, rather than planned
 * against the wrong content. Returns `release`, which removes those worktrees' records.
 */
export async function checkOutBaseSubmodules(o: { top: string; tree: string; commit: string; ref: string }): Promise<{ release: () => Promise<void> }> {
  const clones: string[] = [];
  const release = async () => {
    for (const clone of clones) await exec("git", ["worktree", "prune"], { cwd: clone }).catch(() => undefined);
  };
  try {
    for (const link of await gitlinks(o.top, o.commit)) {
      const clone = join(o.top, ...link.path.split("/"));
      if (!(await isCloneTop(clone))) continue;
      const target = join(o.tree, ...link.path.split("/"));
      clones.push(clone);
      await exec("git", ["worktree", "add", "--detach", target, link.commit], { cwd: clone }).catch(() => {
        throw new UserError(
          `the base ${o.ref} has the submodule ${link.path} at commit ${link.commit.slice(0, 12)}, which its clone here does not hold`,
          EXIT.findings,
          `fetch it (git -C ${link.path} fetch origin), or in CI check out with submodules and full history (submodules: recursive, fetch-depth: 0)`,
        );
      });
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

/** The submodules (gitlinks) the base commit records, anywhere in its tree. */
async function gitlinks(top: string, commit: string): Promise<Gitlink[]> {
  const { stdout } = await exec("git", ["ls-tree", "-r", "-z", "--full-tree", commit], { cwd: top, maxBuffer: 256 * 1024 * 1024 });
  const links: Gitlink[] = [];
  for (const entry of stdout.split("\0")) {
    // "<mode> <type> <object>\t<path>"; a submodule is mode 160000, type commit.
    const tab = entry.indexOf("\t");
    const [mode, type, object] = entry.slice(0, tab).split(" ");
    if (mode === "160000" && type === "commit" && object) links.push({ path: entry.slice(tab + 1), commit: object });
  }
  return links;
}

/** Whether `dir` is the top of a clone of its own (an initialized submodule), not an empty folder of the parent. */
async function isCloneTop(dir: string): Promise<boolean> {
  if (!existsSync(join(dir, ".git"))) return false;
  if ((await readdir(dir).catch(() => [])).length === 0) return false;
  const { stdout } = await exec("git", ["rev-parse", "--show-toplevel"], { cwd: dir }).catch(() => ({ stdout: "" }));
  return stdout.trim() !== "" && (await realpath(stdout.trim()).catch(() => "")) === (await realpath(dir).catch(() => null));
}
