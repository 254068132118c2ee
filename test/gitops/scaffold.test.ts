import { execFile } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { deployProject, type DeployDeps } from "../../cli/plan/deploy-project.js";
import { UserError } from "../../cli/errors.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { deployedRecordFromOutputs } from "../../infra/automation/deployed-record.js";
import { ROOT } from "../compiler/support.js";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as a user would in a shell, without the npm_* variables of the npm that runs
 * this suite (they would point the nested npm at this repository's settings).
 */
function sh(command: string, args: string[], cwd: string): Promise<Ran> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  Object.assign(env, { npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", NO_COLOR: "1" });
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const expectOk = (ran: Ran, what: string) => expect(ran.code, `${what} failed:\n${ran.stdout}\n${ran.stderr}`).toBe(0);

// Dependencies come from the npm cache that this repository's own install filled (--prefer-offline:
// typescript 7 and its platform binary are fetched from the registry if the cache lacks them).
// Install scripts stay off: they only build better-sqlite3 from source here (minutes on two cores),
// and validate, plan and test do not open a SQLite store.
const INSTALL = ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"];

describe("a new user's repository, from npm pack to npm test", () => {
  let base: string;
  let tarball: string;
  let project: string;
  let initOutput: string;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "build", "cli", "main.js"))) throw new Error("the CLI build is missing: run `npm run build` before these tests");
    base = realpathSync(await mkdtemp(path.join(tmpdir(), "wk-scaffold-e2e-")));
    const packDir = path.join(base, "pack");
    await mkdir(packDir);
    // The build is what is packed; scripts stay off so this test does not rebuild the shared build/.
    expectOk(await sh("npm", ["pack", "--ignore-scripts", "--pack-destination", packDir], ROOT), "npm pack");
    const [packed] = (await readdir(packDir)).filter((f) => f.endsWith(".tgz"));
    tarball = path.join(packDir, packed!);

    // A machine where Watchkeeper was installed from the tarball, as the README says.
    const tool = path.join(base, "tool");
    await mkdir(tool);
    await writeFile(path.join(tool, "package.json"), JSON.stringify({ name: "tool", private: true }));
    expectOk(await sh("npm", [...INSTALL, tarball], tool), "installing the packed watchkeeper");

    project = path.join(base, "my-monitors");
    const init = await sh(process.execPath, [path.join(tool, "node_modules", "watchkeeper", "bin", "watchkeeper.js"), "init", project], base);
    expectOk(init, "wk init");
    initOutput = init.stdout;
    expectOk(await sh("npm", INSTALL, project), "npm install in the new project");
  }, 900_000);

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("depends on the tarball wk init was installed from, and says so", async () => {
    const manifest = JSON.parse(await readFile(path.join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies.watchkeeper).toBe(`file:${tarball}`);
    expect(initOutput).toContain(`watchkeeper dependency: file:${tarball}`);
  });

  it("validates with the installed wk", { timeout: 120_000 }, async () => {
    const validate = await sh("npx", ["wk", "validate"], project);
    expectOk(validate, "npx wk validate");
    expect(validate.stdout).toMatch(/no problems found/);
  });

  it("type-checks clean in the editor's TypeScript 7 with the same tsconfig.json", { timeout: 120_000 }, async () => {
    const version = await sh("npx", ["tsc", "--version"], project);
    expect(version.stdout).toMatch(/Version 7\./);
    expectOk(await sh("npx", ["tsc", "-p", "."], project), "npx tsc -p . (TypeScript 7)");
  });

  it("plans, as JSON and into a plan file", { timeout: 180_000 }, async () => {
    const plan = await sh("npx", ["wk", "plan", "--format", "json"], project);
    expectOk(plan, "npx wk plan --format json");
    const parsed = JSON.parse(plan.stdout) as { target: { hash: string }; summary: { monitors: { add: number } } };
    expect(parsed.target.hash).toMatch(/^sha256:/);
    expect(parsed.summary.monitors.add).toBe(2);

    expectOk(await sh("npx", ["wk", "plan", "--out", "plan.json", "--format", "markdown"], project), "npx wk plan --out plan.json");
    const saved = JSON.parse(await readFile(path.join(project, "plan.json"), "utf8")) as Record<string, unknown>;
    expect(JSON.stringify(saved)).toContain(parsed.target.hash);
  });

  it("passes npm test offline", { timeout: 120_000 }, async () => {
    const test = await sh("npm", ["test"], project);
    expectOk(test, "npm test");
    expect(test.stdout).toMatch(/nightly-backup \(heartbeat/);
  });

  it("deploys exactly the reviewed plan, under Pulumi's mocks, and refuses it once it is stale", { timeout: 180_000 }, async () => {
    // The Automation API needs the Pulumi CLI (and would reach PagerDuty); the same deploy flow runs
    // here with the real compiler on the scaffolded project and the infra program under Pulumi's mocks.
    const stack = { outputs: null as Record<string, unknown> | null, ups: 0 };
    const out: string[] = [];
    const deps: DeployDeps = {
      findPulumi: () => "pulumi (mocks)",
      compile: (dir, o) => compileProject({ projectDir: dir, write: false, ...o }),
      readDeployed: async () => deployedRecordFromOutputs(stack.outputs),
      deployStack: async (o) => {
        const held = (stack.outputs?.["manifestHash"] as string | undefined) ?? null;
        if (held !== o.expectedBaseHash) throw new Error(`stack holds ${held}, plan expected ${o.expectedBaseHash}`);
        const run = await runUnderMocks(o.manifest);
        stack.ups++;
        stack.outputs = { manifestHash: run.outputs.manifestHash, deployedManifest: run.outputs.deployedManifest };
        return { routingKeys: {}, serviceIds: {}, operations: { create: run.resources.length } };
      },
      confirm: null,
      out: (t) => out.push(t),
      reportDiagnostics: () => {},
    };
    const options = (planFile: string) => ({
      projectDir: project,
      stackName: "production",
      stateDir: path.join(project, ".watchkeeper"),
      planFile,
      planToken: null,
      baseManifest: null,
      allowDestroy: false,
      routingKeysOut: path.join(project, ".watchkeeper", "routing-keys.json"),
      yes: true,
      now: new Date(),
      env: {},
    });
    const planFile = path.join(project, "plan.json");
    expect(await deployProject(options(planFile), deps)).toBe(0);
    expect(stack.ups).toBe(1);
    const deployed = deployedRecordFromOutputs(stack.outputs);
    expect(deployed.kind).toBe("manifest");

    // The same plan again: its base (nothing deployed) is no longer what the stack holds.
    const stale = await deployProject(options(planFile), deps).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(UserError);
    expect((stale as UserError).message).toMatch(/no longer the plan's base/);
    expect(stack.ups).toBe(1);
  });
});
