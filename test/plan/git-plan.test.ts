import { createHmac } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { baseCacheKey } from "../../cli/plan/base-cache.js";
import { planProject, type PlanProjectResult } from "../../cli/plan/plan-project.js";
import { temporaryUserCache } from "../compiler/support.js";
import { renderJson } from "../../cli/plan/render-json.js";
import { renderMarkdown, PLAN_COMMENT_MARKER } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import { UserError } from "../../cli/errors.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";
import { FixtureRepo, compileFixture } from "./git-fixture.js";

const now = new Date("2026-11-21T00:00:00Z");
// The plan cache is sealed with the user's cache key: a temporary one, not the machine's.
temporaryUserCache();
const repos: FixtureRepo[] = [];

function repo(): FixtureRepo {
  const r = new FixtureRepo();
  repos.push(r);
  r.write(sampleManifest());
  r.commit("base");
  return r;
}

async function plan(r: FixtureRepo, ref = "main") {
  const result: PlanProjectResult = await planProject({ projectDir: r.dir, base: { kind: "git", ref }, compile: compileFixture, now });
  if (!result.ok) throw new Error("head did not compile");
  return result.plan;
}

afterEach(() => {
  for (const r of repos.splice(0)) r.remove();
});

describe("wk plan against a git ref", () => {
  test("an added monitor and service show as additions and creates, in all three formats", async () => {
    const r = repo();
    r.write(
      sampleManifest((d) => {
        d.monitors.push(sampleMonitor("checkout-errors", { service: "checkout" }));
        d.services.push({ ...d.services[0]!, id: "checkout", name: "Checkout" });
      }),
    );
    const p = await plan(r);
    expect(p.changesPresent).toBe(true);
    expect(p.monitors.map((m) => [m.id, m.action])).toEqual([["checkout-errors", "add"]]);
    expect(p.resources.map((c) => [c.name, c.action])).toEqual([
      ["integration:checkout:events-v2", "create"],
      ["service:checkout", "create"],
    ]);
    expect(p.base.hash).toBe(sampleManifest().hash);

    const text = renderText(p, { color: false });
    expect(text).toContain("Monitors: 1 to add, 0 to change, 0 to remove");
    expect(text).toContain("PagerDuty: 2 to create, 0 to update, 0 to replace, 0 to delete");
    expect(text).toContain("  + service:checkout Service");
    expect(text).toContain('      name: "Checkout"');
    expect(text).not.toContain("\u001b[");
    expect(renderText(p, { color: true })).toContain("\u001b[32m  + service:checkout");

    const md = renderMarkdown(p);
    expect(md.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(md.indexOf("| PagerDuty resources | 2 | 0 | 0 | 0 |")).toBeLessThan(md.indexOf("<details>"));
    expect(md).toContain("<details><summary>PagerDuty resources (2)</summary>");
    expect(md).toContain("+ service:checkout (Service)");

    const json = JSON.parse(renderJson(p));
    expect(json).toMatchObject({ formatVersion: 1, changesPresent: true, planToken: p.planToken, base: { kind: "git", ref: "main" } });
    expect(json.summary).toEqual({ monitors: { add: 1, change: 0, remove: 0, move: 0 }, resources: { create: 2, update: 0, replace: 0, delete: 0, move: 0, import: 0 }, config: 0, warnings: 0 });
  });

  test("a changed monitor and service show property by property", async () => {
    const r = repo();
    r.write(
      sampleManifest((d) => {
        d.monitors[0]!.schedule = { kind: "cron", expression: "* * * * *", timezone: "UTC" };
        d.monitors[0]!.threshold = { op: ">", value: 0.5 };
        d.monitors[0]!.codeHash = "sha256:1";
        d.services[0]!.urgency = "high";
      }),
    );
    const p = await plan(r);
    expect(p.monitors).toEqual([
      {
        id: "payments-api-latency",
        action: "change",
        changes: [
          { path: "codeHash", before: "sha256:0", after: "sha256:1" },
          { path: "schedule.expression", before: "*/5 * * * *", after: "* * * * *" },
          { path: "threshold", before: null, after: { op: ">", value: 0.5 } },
        ],
      },
    ]);
    expect(p.resources).toEqual([
      {
        name: "service:payments-api",
        type: "pagerduty:index/service:Service",
        action: "update",
        changes: [{ path: "incidentUrgencyRule.urgency", before: "severity_based", after: "high" }],
        replaceBecause: [],
      },
    ]);
    expect(renderText(p, { color: false })).toContain('      schedule.expression: "*/5 * * * *" -> "* * * * *"');
    expect(renderMarkdown(p)).toContain('!     incidentUrgencyRule.urgency: "severity_based" -> "high"');
    expect(JSON.parse(renderJson(p)).resources[0].changes[0].path).toBe("incidentUrgencyRule.urgency");
  });

  test("renaming files is a no-op; renaming a schedule's id deletes and recreates it with a warning", async () => {
    const r = repo();
    r.write(sampleManifest((d) => (d.schedules[0]!.source = "policies/oncall/schedules.ts")));
    const moved = await plan(r);
    expect(moved.changesPresent).toBe(false);
    expect(renderText(moved, { color: false })).toContain("No changes");
    expect(renderMarkdown(moved)).toContain("**No changes**");
    expect(JSON.parse(renderJson(moved)).changesPresent).toBe(false);

    r.write(
      sampleManifest((d) => {
        d.schedules[0]!.id = "payments-oncall";
        d.escalationPolicies[0]!.rules[0]!.targets = [{ type: "schedule", id: "payments-oncall" }];
      }),
    );
    const renamed = await plan(r);
    expect(renamed.resources.map((c) => [c.name, c.action])).toEqual([
      ["escalation-policy:payments-escalation", "update"],
      ["schedule:payments-oncall", "create"],
      ["schedule:payments-primary", "delete"],
    ]);
    expect(renamed.warnings.map((w) => w.code)).toEqual(["schedule-deleted"]);
    expect(renderMarkdown(renamed)).toContain("> [!WARNING]");
  });

  test("a deleted service is a delete with a destructive-change warning", async () => {
    const r = repo();
    r.write(
      sampleManifest((d) => {
        d.services = [];
        d.silences = [];
        d.monitors[0]!.service = null;
      }),
    );
    const p = await plan(r);
    expect(p.resources.map((c) => [c.name, c.action])).toEqual([
      ["integration:payments-api:events-v2", "delete"],
      ["maintenance-window:db-upgrade", "delete"],
      ["service:payments-api", "delete"],
    ]);
    expect(p.warnings).toEqual([
      { code: "service-deleted", subject: "payments-api", message: "service payments-api will be deleted in PagerDuty, with its history and integrations" },
    ]);
    expect(p.config.map((c) => [c.kind, c.id, c.action])).toEqual([["silence", "db-upgrade", "remove"]]);
    const text = renderText(p, { color: false });
    expect(text).toContain("  - service:payments-api Service");
    expect(text).toContain("! service payments-api will be deleted");
  });

  test("compares with an older commit by sha and with a branch", async () => {
    const r = repo();
    const first = r.git("rev-parse", "HEAD");
    r.write(sampleManifest((d) => (d.services[0]!.name = "Payments")));
    r.commit("rename service");
    r.git("branch", "release", first);
    expect((await plan(r, "HEAD")).changesPresent).toBe(false);
    expect((await plan(r, first)).resources.map((c) => c.action)).toEqual(["update"]);
    expect((await plan(r, "release")).resources[0]!.changes).toEqual([{ path: "name", before: "Payments API", after: "Payments" }]);
  });

  test("a ref that does not exist is a clear error naming it, and no worktree is left behind", async () => {
    const r = repo();
    const error = await plan(r, "no-such-branch").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('"no-such-branch"');
    // This repository has no remote: no fetch command that would fail again, what to compare with instead.
    expect((error as UserError).hint).toContain("check the name (git branch -a); this repository has no remote yet");
    expect((error as UserError).hint).not.toContain("git fetch");
    expect((error as UserError).exitCode).toBe(1);
    expect(r.worktrees()).toHaveLength(1);
    // With a remote, the fetch that makes the ref resolve.
    r.git("remote", "add", "origin", "https://git.example.invalid/project.git");
    const fetchable = await plan(r, "no-such-branch").catch((e: unknown) => e);
    expect((fetchable as UserError).hint).toContain("git fetch origin no-such-branch:no-such-branch");
  });

  test("the hint for a ref that is not fetched yet is a git fetch that works: origin/main from origin's main, a branch into itself", async () => {
    const upstream = repo();
    upstream.git("branch", "release");
    const local = repo();
    local.git("remote", "add", "origin", upstream.dir);
    const fetchIn = async (ref: string): Promise<string> => {
      const error = (await plan(local, ref).catch((e: unknown) => e)) as UserError;
      expect(error).toBeInstanceOf(UserError);
      return /fetch it \((git fetch [^)]*)\)/.exec(error.hint ?? "")?.[1] ?? "";
    };
    // `git fetch origin origin/main` asks origin for a branch named origin/main, which it has not.
    const tracking = await fetchIn("origin/main");
    expect(tracking).toBe("git fetch origin main:refs/remotes/origin/main");
    const branch = await fetchIn("release");
    expect(branch).toBe("git fetch origin release:release");
    // Run as the hint says, and the plan finds both.
    for (const command of [tracking, branch]) local.git(...command.split(" ").slice(1));
    expect((await plan(local, "origin/main")).changesPresent).toBe(false);
    expect((await plan(local, "release")).changesPresent).toBe(false);
  });

  test("a base that does not compile is a clear error, and its worktree is removed", async () => {
    const r = repo();
    r.write("{ not json");
    r.commit("broken");
    r.write(sampleManifest());
    const error = await plan(r, "HEAD").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("the base HEAD does not compile");
    expect((error as UserError).message).toContain("manifest.json:1: invalid JSON");
    expect(r.worktrees()).toHaveLength(1);
  });

  test("a base compiled once is reused by content, and a new commit compiles again", async () => {
    const r = repo();
    const compiled: string[] = [];
    const counting = async (dir: string) => {
      compiled.push(dir);
      return compileFixture(dir);
    };
    const cacheDir = join(r.dir, ".watchkeeper", "plan-cache");
    const run = () => planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: counting, now, baseCacheDir: cacheDir });
    r.write(sampleManifest((d) => (d.services[0]!.name = "Payments")));
    const first = await run();
    const second = await run();
    expect(compiled).toHaveLength(3); // head, base, head: the second base came from the cache
    expect(second.ok && first.ok && second.plan).toEqual(first.ok && first.plan);
    r.commit("rename");
    const third = await run();
    expect(compiled).toHaveLength(5);
    expect(third.ok && third.plan.changesPresent).toBe(false);
  });

  test("an entry a pull request commits into the plan cache is not read: a forged base", async () => {
    const r = repo();
    const cacheDir = join(r.dir, ".watchkeeper", "plan-cache");
    const run = () => planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: compileFixture, now, baseCacheDir: cacheDir });
    const renamed = sampleManifest((d) => (d.services[0]!.name = "Payments"));
    r.write(renamed);
    // The keys are public: the base's tree id, the project's folder in the repository, this build.
    const baseKey = baseCacheKey(r.git("rev-parse", "main^{tree}"), "");
    const forge = (key: string, entry: object) => {
      mkdirSync(cacheDir, { recursive: true });
      const body = JSON.stringify(entry);
      // Once as the cache used to store entries, once sealed with a key the attacker made up.
      writeFileSync(join(cacheDir, `${key}.json`), body);
      writeFileSync(join(cacheDir, `${key}.json`), JSON.stringify({ key, mac: createHmac("sha256", "guessed").update(`${key}\0${key}\0${body}`).digest("hex") }) + "\n" + body);
    };
    for (const write of [(k: string, b: string) => writeFileSync(join(cacheDir, `${k}.json`), b), null]) {
      rmSync(cacheDir, { recursive: true, force: true });
      // The base "already had" the rename: the plan would show nothing.
      if (write) {
        mkdirSync(cacheDir, { recursive: true });
        write(baseKey, JSON.stringify({ manifest: renamed, bundle: null }));
      } else {
        forge(baseKey, { manifest: renamed, bundle: null });
      }
      const result = await run();
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.plan.changesPresent).toBe(true);
      expect(result.plan.resources.map((c) => c.action)).toEqual(["update"]);
      expect(result.plan.resources[0]!.changes).toEqual([{ path: "name", before: "Payments API", after: "Payments" }]);
    }
  });

  test("the plan token changes when either side moves", async () => {
    const r = repo();
    r.write(sampleManifest((d) => (d.services[0]!.name = "Payments")));
    const a = await plan(r);
    const b = await plan(r);
    expect(a.planToken).toBe(b.planToken);
    r.commit("deploy");
    expect((await plan(r, "HEAD~1")).planToken).toBe(a.planToken);
    r.write(sampleManifest((d) => (d.services[0]!.name = "Payments v2")));
    expect((await plan(r, "HEAD~1")).planToken).not.toBe(a.planToken);
    expect((await plan(r, "HEAD")).planToken).not.toBe(a.planToken);
  });

  test("the base is checked out and compiled while the working tree compiles, and removed when the working tree does not compile", async () => {
    const r = repo();
    r.write(sampleManifest((d) => (d.services[0]!.name = "Payments")));
    let headRunning = false;
    let baseDuringHead = false;
    const headFails = async (dir: string) => {
      if (dir !== r.dir) {
        baseDuringHead = headRunning && r.worktrees().length === 2;
        return compileFixture(dir);
      }
      // The working tree's compile takes a while: the base is checked out and compiled meanwhile.
      headRunning = true;
      for (let i = 0; i < 200 && !baseDuringHead; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      headRunning = false;
      return { ...(await compileFixture(dir)), ok: false, manifest: null };
    };
    const result = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: headFails, now });
    expect(result.ok).toBe(false);
    expect(baseDuringHead).toBe(true);
    expect(r.worktrees()).toHaveLength(1);
  });

  test("a working tree compile that throws removes the base's checkout, and a base ref that does not resolve is reported only once the working tree compiled", async () => {
    const r = repo();
    const broken = async (dir: string): Promise<never> => {
      // Long enough for the checkout to have started.
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new Error(`compiler bug in ${dir}`);
    };
    await expect(planProject({ projectDir: r.dir, base: { kind: "git", ref: "main" }, compile: broken, now })).rejects.toThrow("compiler bug");
    expect(r.worktrees()).toHaveLength(1);
    r.write("{ not json");
    const headFirst = await planProject({ projectDir: r.dir, base: { kind: "git", ref: "no-such-branch" }, compile: compileFixture, now });
    expect(headFirst.ok).toBe(false);
  });
});
