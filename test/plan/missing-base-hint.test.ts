import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareGitBase } from "../../cli/plan/base-source.js";
import { missingBaseHint } from "../../cli/plan/fetch-hint.js";

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A repository with one commit and the given remotes (never contacted). */
function repository(remotes: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "wk-base-hint-"));
  made.push(dir);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dir } });
  git("init", "-q", ".");
  writeFileSync(join(dir, "watchkeeper.config.ts"), "export default {};\n");
  git("add", "-A");
  git("-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "init");
  for (const r of remotes) git("remote", "add", r, `https://git.example.invalid/${r}.git`);
  return dir;
}

describe("a --base that names no commit", () => {
  it("in a repository with no remote (a project just made by wk init): no fetch command, what to compare with instead", async () => {
    const dir = repository([]);
    const error = await prepareGitBase(dir, "origin/main").then(
      () => null,
      (e: unknown) => e as { message: string; hint?: string },
    );
    expect(error?.message).toBe('the base ref "origin/main" does not name a commit in this repository');
    expect(error?.hint).toContain("check the name (git branch -a); this repository has no remote yet");
    expect(error?.hint).toContain("--base HEAD");
    expect(error?.hint).toContain("leave out --base");
    expect(error?.hint).not.toContain("git fetch");
    // What the hint offers works: the last commit is a base.
    const base = await prepareGitBase(dir, "HEAD");
    await base.release();
  });

  it("names the remotes a repository has when origin is not one of them", () => {
    const hint = missingBaseHint("origin/main", ["upstream", "fork"]);
    expect(hint).toContain("no remote called origin (it has upstream, fork)");
    expect(hint).not.toContain("git fetch");
  });

  it("keeps the fetch command for a remote that exists, and local names with slashes", () => {
    expect(missingBaseHint("origin/main", ["origin"])).toContain("fetch it (git fetch origin main:refs/remotes/origin/main)");
    expect(missingBaseHint("feature/x", ["upstream"])).toContain("fetch it (git fetch upstream feature/x:feature/x)");
  });
});
