import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { planProject } from "../../cli/plan/plan-project.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderSummary } from "../../cli/plan/render-summary.js";
import { renderText } from "../../cli/plan/render-text.js";
import { run } from "../../cli/commands/plan.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { PLAN_DOCUMENT_KIND, refuseOverwritingNonPlan } from "../../cli/plan/plan-document.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { FixtureRepo, compileFixture } from "../plan/git-fixture.js";
import { copyFixture } from "../compiler/support.js";

const now = new Date("2026-11-21T00:00:00Z");
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "protocol.file.allow=always", ...args], { cwd, encoding: "utf8" }).trim();
}

/** A repository of its own holding the manifest with `every` as the first monitor's schedule. */
function sharedRepo(expression: string): string {
  const dir = mkdtempSync(join(tmpdir(), "wk-shared-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "ci@example.test");
  git(dir, "config", "user.name", "CI");
  writeFileSync(join(dir, "manifest.json"), canonicalJson(withSchedule(expression)));
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "shared");
  return dir;
}

function withSchedule(expression: string) {
  return sampleManifest((d) => {
    d.monitors[0]!.schedule = { kind: "cron", expression, timezone: "UTC" };
  });
}

describe("wk plan --base in a repository with submodules", () => {
  test("reads the submodule as the base commit records it, so a change made in the submodule shows in the plan", async () => {
    const shared = sharedRepo("*/5 * * * *");
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    // The project's definitions come from a submodule (here the whole manifest, through a committed link).
    git(r.dir, "submodule", "add", "-q", shared, "shared");
    symlinkSync("shared/manifest.json", join(r.dir, "manifest.json"));
    r.commit("base: shared at its first commit");
    // The pull request moves the submodule to a commit that changes the schedule.
    const sub = join(r.dir, "shared");
    git(sub, "config", "user.email", "ci@example.test");
    git(sub, "config", "user.name", "CI");
    writeFileSync(join(sub, "manifest.json"), canonicalJson(withSchedule("*/10 * * * *")));
    git(sub, "commit", "-q", "-am", "every 10 minutes");

    const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: compileFixture, now });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.changesPresent).toBe(true);
    const changes = result.plan.monitors.flatMap((m) => m.changes.map((c) => [m.id, c.path, c.before, c.after]));
    expect(changes).toContainEqual([result.target.monitors[0]!.id, "schedule.expression", "*/5 * * * *", "*/10 * * * *"]);
    // The submodule's worktree is gone with the base's checkout.
    expect(git(sub, "worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree "))).toHaveLength(1);
  });

  test("a submodule whose base commit is not in its clone is refused with what to fetch, not planned against the wrong content", async () => {
    const shared = sharedRepo("*/5 * * * *");
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    git(r.dir, "submodule", "add", "-q", shared, "shared");
    symlinkSync("shared/manifest.json", join(r.dir, "manifest.json"));
    r.commit("base");
    // A commit whose submodule points at a commit this clone has never seen (made in another clone).
    git(r.dir, "update-index", "--cacheinfo", `160000,${"1".repeat(40)},shared`);
    git(r.dir, "commit", "-q", "-m", "submodule moved elsewhere");
    git(r.dir, "branch", "moved");
    git(r.dir, "reset", "-q", "--hard", "main~1");

    const error = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "moved" }, compile: compileFixture, now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/submodule shared at commit 111111111111/);
    expect((error as UserError).hint).toMatch(/git -C shared fetch/);
  });
});

describe("wk plan --base with a ref that looks like an option", () => {
  test("a ref named --help (a branch someone pushed with git update-ref) is read as a ref, not as a git option", async () => {
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    r.write(withSchedule("*/5 * * * *"));
    r.commit("base");
    r.git("update-ref", "refs/heads/--help", "HEAD");
    r.write(withSchedule("*/10 * * * *"));

    const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "--help" }, compile: compileFixture, now });
    expect(result.ok && result.plan.monitors.map((m) => m.action)).toEqual(["change"]);
  });
});

describe("wk plan --base-manifest names the file as the project has it", () => {
  test("a manifest inside the project is shown relative to it, not by this machine's absolute path (the PR comment is public)", async () => {
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    r.write(withSchedule("*/10 * * * *"));
    mkdirSync(join(r.dir, ".watchkeeper"));
    writeFileSync(join(r.dir, ".watchkeeper", "deployed-manifest.json"), canonicalJson(withSchedule("*/5 * * * *")));

    const result = await planProject({ projectDir: r.dir, base: { kind: "file", path: join(r.dir, ".watchkeeper", "deployed-manifest.json") }, compile: compileFixture, now });
    expect(result.ok && result.plan.base.ref).toBe(".watchkeeper/deployed-manifest.json");
  });

  test("a manifest outside the project is shown by its name alone", async () => {
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    r.write(withSchedule("*/10 * * * *"));
    const elsewhere = mkdtempSync(join(tmpdir(), "wk-deployed-"));
    cleanup.push(() => rmSync(elsewhere, { recursive: true, force: true }));
    writeFileSync(join(elsewhere, "deployed-manifest.json"), canonicalJson(withSchedule("*/5 * * * *")));

    const result = await planProject({ projectDir: r.dir, base: { kind: "file", path: join(elsewhere, "deployed-manifest.json") }, compile: compileFixture, now });
    expect(result.ok && result.plan.base.ref).toBe("deployed-manifest.json");
  });
});

describe("a base ref with hostile characters in the plan's heading", () => {
  test("a branch name with a bidi override and an @mention is a code span in the comment and spelled out in text", async () => {
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    r.write(withSchedule("*/5 * * * *"));
    r.commit("base");
    const ref = "main\u202eniam@security-team";
    r.git("branch", ref);
    r.write(withSchedule("*/10 * * * *"));

    const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref }, compile: compileFixture, now });
    if (!result.ok) throw new Error("head did not compile");
    const markdown = renderMarkdown(result.plan, {});
    const text = renderText(result.plan, { color: false });
    expect(markdown).toContain("Compared with git ref `main\\u202eniam@security-team`.");
    for (const out of [markdown, text, renderSummary(result.plan)]) expect(out).not.toContain("\u202e");
    expect(text).toContain("Watchkeeper plan against git ref main\\u202eniam@security-team");
  });
});

describe("wk plan --out over an existing file", () => {
  test("a monitor module (or any file that is not an earlier plan) is refused with exit 2 before the compile, and left as it was", async () => {
    const fixture = await copyFixture("ok");
    cleanup.push(() => void fixture.cleanup());
    const module = join(fixture.dir, "monitors", "payments.ts");
    const before = readFileSync(module, "utf8");
    const error = await run({ project: fixture.dir, out: module }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.usage);
    expect((error as UserError).message).toContain("is a file that is not a plan");
    expect(readFileSync(module, "utf8")).toBe(before);
  });

  test("an earlier plan, an empty file (mktemp) and a new path are accepted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-plan-out-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "earlier.json"), JSON.stringify({ kind: PLAN_DOCUMENT_KIND, version: 1 }));
    writeFileSync(join(dir, "empty"), "");
    for (const file of ["earlier.json", "empty", "new.json"]) await expect(refuseOverwritingNonPlan(join(dir, file), file)).resolves.toBeUndefined();
  });
});

describe("the code diff reads the project's own files", () => {
  /** A monitor whose condition changed; `source` is where the sandbox child says it was made. */
  const withCode = (codeHash: string, source: string) =>
    sampleManifest((d) => {
      d.monitors[0] = { ...d.monitors[0]!, codeHash, source, code: { condition: true, summary: false, run: false, extract: false } };
    });

  test("a monitor's source that leads out of the project (forged by a module in the sandbox, or through a link) is not read", async () => {
    const outside = mkdtempSync(join(tmpdir(), "wk-plan-outside-"));
    cleanup.push(() => rmSync(outside, { recursive: true, force: true }));
    const r = new FixtureRepo();
    cleanup.push(() => r.remove());
    const id = withCode("a", "monitors/m.ts:1").monitors[0]!.id;
    const call = (text: string) => `monitor({ id: ${JSON.stringify(id)}, condition: () => ${JSON.stringify(text)} });\n`;
    mkdirSync(join(r.dir, "monitors"));
    writeFileSync(join(r.dir, "monitors", "m.ts"), call("base"));
    r.write(withCode("a", "monitors/m.ts:1"));
    r.commit("base");
    // Another checkout on the same runner, holding code the pull request's author must not see.
    writeFileSync(join(outside, "other.ts"), call("ci-token-value"));
    symlinkSync(join(outside, "other.ts"), join(r.dir, "monitors", "linked.ts"));
    for (const source of [`${"../".repeat(20)}${outside.slice(1)}/other.ts:1`, "monitors/linked.ts:1"]) {
      r.write(withCode("b", source));
      const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: compileFixture, now });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.plan.monitors[0]!.changes.map((c) => c.path)).toContain("codeHash");
      expect(JSON.stringify(result.plan)).not.toContain("ci-token-value");
    }
  });
});
