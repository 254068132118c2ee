import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../../cli/errors.js";
import { refuseCommittedBackend } from "../../cli/plan/stack-backend.js";
import { copyFixture } from "../compiler/support.js";
import { ensureBuild, wk } from "../gitops/cli-process.js";

// `wk plan --base-stack` must not read its base from files a pull request can commit.
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const git = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });

/** The `ok` fixture as a repository, with a stack record under `.watchkeeper/pulumi`, committed or not. */
async function project(o: { commitState: boolean }): Promise<string> {
  const fixture = await copyFixture("ok");
  cleanups.push(fixture.cleanup);
  const dir = fixture.dir;
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "ci@example.test");
  git(dir, "config", "user.name", "CI");
  // Beside the backend: a committed deployed manifest is no stack record and changes nothing.
  await mkdir(join(dir, ".watchkeeper"), { recursive: true });
  await writeFile(join(dir, ".watchkeeper", "deployed-manifest.json"), "{}\n");
  if (o.commitState) await writeState(dir);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "base");
  if (!o.commitState) await writeState(dir);
  return dir;
}

async function writeState(dir: string): Promise<void> {
  const stacks = join(dir, ".watchkeeper", "pulumi", ".pulumi", "stacks", "watchkeeper");
  await mkdir(stacks, { recursive: true });
  await writeFile(join(stacks, "production.json"), JSON.stringify({ version: 3, checkpoint: { latest: { resources: [] } } }));
}

const refusal = async (dir: string, env: NodeJS.ProcessEnv = {}) =>
  refuseCommittedBackend("production", dir, join(dir, ".watchkeeper"), env).then(
    () => null,
    (error: unknown) => error,
  );

describe("--base-stack with a file backend inside the project", () => {
  beforeAll(() => ensureBuild());

  it("is refused when git tracks the stack's record: a pull request could commit the base its plan is compared with", async () => {
    const dir = await project({ commitState: true });
    const error = await refusal(dir);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(".watchkeeper/pulumi/.pulumi/stacks/watchkeeper/production.json");
    // Named relative to the Pulumi CLI's workspace folder, the same folder is refused too.
    expect(await refusal(dir, { PULUMI_BACKEND_URL: "file://../pulumi" })).toBeInstanceOf(UserError);
    // With a setting after the path, the same folder is refused too.
    expect(await refusal(dir, { PULUMI_BACKEND_URL: `file://${join(dir, ".watchkeeper", "pulumi")}?no_tmp_dir=true` })).toBeInstanceOf(UserError);
    expect((error as UserError).hint).toContain("PULUMI_BACKEND_URL");
    // Through the command: refused before anything else (no Pulumi CLI is needed to see it).
    const ran = await wk(["plan", "--project", dir, "--base-stack", "production"], { env: { PULUMI_BACKEND_URL: "" } });
    expect(ran.code, ran.stderr).toBe(EXIT.findings);
    expect(ran.stderr).toContain("a pull request could commit the record its own plan is compared with");
  }, 120_000);

  it("is refused when a committed link leads the backend to committed files elsewhere in the project", async () => {
    const dir = await project({ commitState: false });
    await rm(join(dir, ".watchkeeper"), { recursive: true, force: true });
    await mkdir(join(dir, "docs"));
    await writeState(join(dir, "docs"));
    await symlink(join("docs", ".watchkeeper"), join(dir, ".watchkeeper"));
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "a record elsewhere, and a link to it");
    const error = await refusal(dir);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("docs/.watchkeeper/pulumi/");
  });

  it("reads the user's own untracked state, and any backend outside the project, as before", async () => {
    const dir = await project({ commitState: false });
    expect(await refusal(dir)).toBeNull();
    expect(await refusal(dir, { PULUMI_BACKEND_URL: "s3://bucket/state" })).toBeNull();
    const outside = await mkdtemp(join(tmpdir(), "wk-stack-outside-"));
    dirs.push(outside);
    expect(await refusal(dir, { PULUMI_BACKEND_URL: `file://${outside}` })).toBeNull();
    // Past the check, the command goes on to need the Pulumi CLI (absent here, or present).
    const ran = await wk(["plan", "--project", dir, "--base-stack", "production"], { env: { PULUMI_BACKEND_URL: "", WK_PULUMI_BIN: join(dir, "no-pulumi") } });
    expect(ran.stderr).not.toContain("a pull request could commit");
  }, 120_000);
});
