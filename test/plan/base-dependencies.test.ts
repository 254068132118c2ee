import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { run } from "../../cli/commands/plan.js";
import { UserError } from "../../cli/errors.js";
import { changedDependencyFiles } from "../../cli/plan/base-dependencies.js";

/**
 * `wk plan --base REF` evaluates the base with the base's own packages: a package that lives in
 * the repository (a workspace or `file:` dependency) is read from the base's checkout, and a changed
 * lockfile gets the base's own install. Real compiler, real git, real npm (offline: the packages
 * are local).
 */
const repos: string[] = [];

function repo(files: Record<string, string>): { dir: string; write: (file: string, text: string) => void; git: (...args: string[]) => string; npm: (...args: string[]) => void } {
  const dir = mkdtempSync(join(tmpdir(), "wk-base-deps-"));
  repos.push(dir);
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.test", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" }).trim();
  const npm = (...args: string[]) => void execFileSync("npm", [...args, "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, encoding: "utf8" });
  for (const [file, text] of Object.entries(files)) write(file, text);
  return { dir, write, git, npm };
}

/** A repository with those files, its packages installed (npm, offline) and committed on main. */
function committed(files: Record<string, string>, install = true): ReturnType<typeof repo> {
  const r = repo(files);
  if (install) r.npm("install");
  r.git("init", "-q", "-b", "main");
  r.git("add", "-A");
  r.git("commit", "-q", "-m", "base");
  return r;
}

const CONFIG = `import { config } from "watchkeeper";\nexport default config({ name: "deps-test", monitors: ["monitors/**/*.ts"] });\n`;
const MONITOR = `import { check, monitor } from "watchkeeper";
import { latencyMs } from "thresholds";

export const apiUp = monitor({
  id: "api-up",
  name: \`API answers within \${latencyMs} ms\`,
  schedule: { cron: "*/5 * * * *", timezone: "UTC" },
  check: check.tcp({ host: "db.example.test", port: 5432 }),
  summary: "API is down",
});
`;
const library = (ms: number) => ({
  package: JSON.stringify({ name: "thresholds", version: "1.0.0", type: "module", main: "index.js", types: "index.d.ts" }),
  index: `export const latencyMs = ${ms};\n`,
  types: "export declare const latencyMs: number;\n",
});
const packageJson = (dependency: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: "deps-test", private: true, type: "module", dependencies: { thresholds: `file:./libs/${dependency}` }, ...extra }, null, 2);

async function plan(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const code = await run({ project: dir, format: "json", base: "main" });
    return { code, stdout: out.join(""), stderr: err.join("") };
  } catch (error) {
    // What the CLI prints for a user error: the message, the fix, and its exit code.
    if (!(error instanceof UserError)) throw error;
    return { code: error.exitCode, stdout: out.join(""), stderr: `${err.join("")}${error.message}\n${error.hint ?? ""}` };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const names = (stdout: string) => JSON.parse(stdout).monitors.flatMap((m: { changes?: Array<{ path: string; before: unknown; after: unknown }> }) => (m.changes ?? []).filter((c) => c.path === "name"));

const planCache = process.env.WK_PLAN_CACHE;
beforeAll(() => {
  // Every plan compiles its base again: the point is how the base is evaluated, not the cache.
  process.env.WK_PLAN_CACHE = "off";
});
afterAll(() => {
  if (planCache === undefined) delete process.env.WK_PLAN_CACHE;
  else process.env.WK_PLAN_CACHE = planCache;
  for (const dir of repos.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("wk plan --base: the base's own packages", { timeout: 180_000 }, () => {
  test("a package that lives in the repository (a file: or workspace dependency) is read from the base's checkout, not the working tree's", async () => {
    const v1 = library(500);
    const r = committed({ ".gitignore": "node_modules/\n", "package.json": packageJson("thresholds"), "libs/thresholds/package.json": v1.package, "libs/thresholds/index.js": v1.index, "libs/thresholds/index.d.ts": v1.types, "watchkeeper.config.ts": CONFIG, "monitors/api.ts": MONITOR });

    const same = await plan(r.dir);
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout).changesPresent).toBe(false);

    // The pull request edits the shared package only: every monitor that reads it changes.
    r.write("libs/thresholds/index.js", library(900).index);
    const changed = await plan(r.dir);
    expect(changed.stderr).toBe("");
    expect(names(changed.stdout)).toEqual([{ path: "name", before: "API answers within 500 ms", after: "API answers within 900 ms" }]);
    // The working tree's install is left as it was.
    expect(readFileSync(join(r.dir, "node_modules", "thresholds", "index.js"), "utf8")).toBe(library(900).index);
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);
  });

  test("a project in a subfolder of a workspace: the workspace's packages at the top come from the base's checkout", async () => {
    const v1 = library(500);
    const r = committed({
      ".gitignore": "node_modules/\n",
      "package.json": JSON.stringify({ name: "monorepo", private: true, workspaces: ["libs/*", "ops/monitoring"] }),
      "libs/thresholds/package.json": v1.package,
      "libs/thresholds/index.js": v1.index,
      "libs/thresholds/index.d.ts": v1.types,
      "ops/monitoring/package.json": JSON.stringify({ name: "monitoring", private: true, type: "module", dependencies: { thresholds: "*" } }),
      "ops/monitoring/watchkeeper.config.ts": CONFIG,
      "ops/monitoring/monitors/api.ts": MONITOR,
    });
    // npm links every workspace at the top: node_modules/thresholds -> ../libs/thresholds.
    expect(readFileSync(join(r.dir, "node_modules", "thresholds", "index.js"), "utf8")).toBe(v1.index);
    r.write("libs/thresholds/index.js", library(900).index);
    const changed = await plan(join(r.dir, "ops", "monitoring"));
    expect(changed.stderr).toBe("");
    expect(names(changed.stdout)).toEqual([{ path: "name", before: "API answers within 500 ms", after: "API answers within 900 ms" }]);
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);
  });

  test("a package whose entry point is untracked build output is unbuilt in the base's checkout: the message names it", async () => {
    const v1 = library(500);
    const built = JSON.stringify({ name: "thresholds", version: "1.0.0", type: "module", main: "dist/index.js", types: "dist/index.d.ts" });
    const r = committed({ ".gitignore": "node_modules/\ndist/\n", "package.json": packageJson("thresholds"), "libs/thresholds/package.json": built, "libs/thresholds/dist/index.js": v1.index, "libs/thresholds/dist/index.d.ts": v1.types, "watchkeeper.config.ts": CONFIG, "monitors/api.ts": MONITOR });
    const result = await plan(r.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("does not compile");
    expect(result.stderr).toContain("read from the base's checkout, as committed there, unbuilt: thresholds (libs/thresholds)");
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);
  });

  test("a changed lockfile: the base's packages are installed in its checkout from its own lockfile", async () => {
    const v1 = library(500);
    const v2 = library(900);
    const r = committed({ ".gitignore": "node_modules/\n", "package.json": packageJson("thresholds"), "libs/thresholds/package.json": v1.package, "libs/thresholds/index.js": v1.index, "libs/thresholds/index.d.ts": v1.types, "watchkeeper.config.ts": CONFIG, "monitors/api.ts": MONITOR });

    // The pull request points the dependency elsewhere (as a version bump would) and installs it.
    r.write("libs/thresholds-next/package.json", v2.package);
    r.write("libs/thresholds-next/index.js", v2.index);
    r.write("libs/thresholds-next/index.d.ts", v2.types);
    r.write("package.json", packageJson("thresholds-next"));
    r.npm("install");
    expect(await changedDependencyFiles({ top: r.dir, rel: "", commit: r.git("rev-parse", "HEAD") })).toEqual(["package.json", "package-lock.json"]);

    const changed = await plan(r.dir);
    expect(changed.stderr).toBe("");
    expect(names(changed.stdout)).toEqual([{ path: "name", before: "API answers within 500 ms", after: "API answers within 900 ms" }]);
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);
  });

  test("a base whose packages cannot be installed stops the plan with the reason, instead of a base it did not evaluate", async () => {
    const v1 = library(500);
    const r = committed({
      "package.json": packageJson("thresholds", { scripts: { test: "true" } }),
      "yarn.lock": "# yarn lockfile v1\n",
      "libs/thresholds/package.json": v1.package,
      "libs/thresholds/index.js": v1.index, "libs/thresholds/index.d.ts": v1.types,
      "watchkeeper.config.ts": CONFIG,
      "monitors/api.ts": MONITOR,
    }, false);
    mkdirSync(join(r.dir, "node_modules"));
    execFileSync("ln", ["-s", "../libs/thresholds", join(r.dir, "node_modules", "thresholds")]);

    // A script is not a package: no install, the plan runs.
    r.write("package.json", packageJson("thresholds", { scripts: { test: "false" } }));
    const scripts = await plan(r.dir);
    expect(scripts.stderr).toBe("");
    expect(scripts.code).toBe(0);

    // yarn's lockfile changed: wk installs a base's packages from an npm lockfile only.
    r.write("yarn.lock", "# yarn lockfile v1\n\nthresholds@file:./libs/thresholds:\n  version \"1.0.0\"\n");
    const refused = await plan(r.dir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("yarn.lock");
    expect(refused.stderr).toContain("--base-stack");
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);

    // An npm lockfile that does not match its package.json: npm ci fails, and the plan says so.
    r.git("rm", "-qf", "yarn.lock");
    r.write("package-lock.json", JSON.stringify({ name: "deps-test", lockfileVersion: 3, requires: true, packages: { "": { name: "deps-test", dependencies: { other: "^1.0.0" } } } }));
    r.git("add", "-A");
    r.git("commit", "-q", "-m", "npm");
    r.write("package.json", packageJson("thresholds", { dependencies: { thresholds: "file:./libs/thresholds", left: "file:./libs/left" } }));
    const failed = await plan(r.dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("npm ci");
    expect(failed.stderr).toContain("--base-manifest");
    expect(existsSync(join(r.dir, "package-lock.json"))).toBe(true);
    expect(r.git("worktree", "list").split("\n")).toHaveLength(1);
  });
});
