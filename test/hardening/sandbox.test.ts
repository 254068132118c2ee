import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../cli/compiler/index.js";
import { permissionFlags, placeholderEnv, runSandbox } from "../../cli/compiler/sandbox.js";
import { locateSdk } from "../../cli/compiler/paths.js";
import { noProcessEnv } from "../../cli/rules/no-process-env.js";
import type { RuleContext } from "../../cli/rules/index.js";
import { copyFixture, ROOT, wk, type CliRun } from "../compiler/support.js";

// These run the built CLI: `npx tsc -p tsconfig.build.json` first.

const DB_PASSWORD = "hunter2-db-password-from-the-ci-environment";
const API_TOKEN = "real-api-token-from-the-ci-environment";
/** The parent's environment holds real secrets; the modules must never see them. */
const ENV = { DB_PASSWORD, API_TOKEN, WK_LOAD_TIMEOUT: "4s" };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function project(fixture: string): Promise<string> {
  const { dir, cleanup } = await copyFixture(fixture);
  cleanups.push(cleanup);
  return dir;
}

interface Report {
  ok: boolean;
  diagnostics: Diagnostic[];
}

async function validate(dir: string, env: Record<string, string> = ENV): Promise<{ run: CliRun; report: Report }> {
  const run = await wk(["validate", "--project", dir, "--json"], env);
  // The whole of stdout is the CLI's JSON: nothing a module printed is interleaved with it.
  return { run, report: JSON.parse(run.stdout) as Report };
}

/** Exit 1 (findings), the JSON report, and an error diagnostic with this code at file:line. */
function expectFinding(run: CliRun, report: Report, code: string, file: string, line: number): Diagnostic {
  expect(run.code, run.stderr).toBe(1);
  expect(report.ok).toBe(false);
  const found = report.diagnostics.find((d) => d.code === code && d.file === file && d.line === line);
  expect(found, JSON.stringify(report.diagnostics, null, 2)).toBeDefined();
  expect(found!.severity).toBe("error");
  expect(found!.hint).toBeTruthy();
  expect(found!.message).not.toMatch(/\n\s+at /);
  return found!;
}

describe("a module cannot end the compiler or change its exit code", () => {
  it("process.exit(0) in a monitor is an error at its line, and validate exits 1", async () => {
    const dir = await project("sandbox-exit-monitor");
    const { run, report } = await validate(dir);
    expect(expectFinding(run, report, "WK2001", "monitors/quit.ts", 5).message).toMatch(/process\.exit\(\)/);
    const started = await wk(["run", "--project", dir, "--port", "0", "--host", "127.0.0.1", "--state", path.join(dir, "state")], ENV);
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/monitors\/quit\.ts:5/);
  });

  it("process.exit(0) in watchkeeper.config.ts is an error at its line, for validate and compile", async () => {
    const dir = await project("sandbox-exit-config");
    const { run, report } = await validate(dir);
    expectFinding(run, report, "WK1002", "watchkeeper.config.ts", 3);
    const compiled = await wk(["compile", "--project", dir, "--json"], ENV);
    expect(compiled.code).toBe(1);
    expect(existsSync(path.join(dir, "dist"))).toBe(false);
  });

  it("an exit hook is refused where it is registered", async () => {
    const { run, report } = await validate(await project("sandbox-exit-hook"));
    expect(expectFinding(run, report, "WK2001", "monitors/hook.ts", 5).message).toMatch(/process\.on\("exit"\)/);
  });

  it("a loader process that ends quietly with code 0 and a forged answer is an error naming the module", async () => {
    const { run, report } = await validate(await project("sandbox-quiet-exit"));
    const found = expectFinding(run, report, "WK2006", "monitors/quiet.ts", 1);
    expect(found.message).toMatch(/exit code 0/);
    // What the module printed is quoted in the diagnostic, and only there.
    expect(found.message).toContain("printed by the module");
    expect(run.stderr).not.toContain("printed by the module");
  });
});

describe("a module cannot hang the compiler", () => {
  it("an endless loop is killed at the time limit and the diagnostic names the module", async () => {
    const dir = await project("sandbox-loop");
    const started = Date.now();
    const { run, report } = await validate(dir);
    expect(expectFinding(run, report, "WK2006", "monitors/spin.ts", 1).message).toMatch(/did not finish within 4s/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const compiled = await wk(["compile", "--project", dir, "--json"], ENV);
    expect(compiled.code).toBe(1);
    expect(existsSync(path.join(dir, "dist"))).toBe(false);
  });

  it("the project's load.timeout sets the limit when no override is given", async () => {
    const dir = await project("sandbox-loop");
    const config = path.join(dir, "watchkeeper.config.ts");
    await writeFile(config, (await readFile(config, "utf8")).replace('name: "sandbox"', 'name: "sandbox", load: { timeout: "2500ms" }'));
    const { run, report } = await validate(dir, { DB_PASSWORD });
    expect(expectFinding(run, report, "WK2006", "monitors/spin.ts", 1).message).toMatch(/did not finish within 2500ms/);
  });

  it("a module that allocates without end fails its own load at the sandbox's heap limit, not the machine's", async () => {
    const { run, report } = await validate(await project("sandbox-memory"), { WK_LOAD_TIMEOUT: "60s" });
    expectFinding(run, report, "WK2006", "monitors/hog.ts", 1);
  }, 90_000);

  it("a module that fills buffers, which the heap limit does not count, is stopped at the sandbox's memory limit", async () => {
    // A time limit far past the allocation's few seconds: on a busy machine they can become a minute.
    const { run, report } = await validate(await project("sandbox-buffers"), { WK_LOAD_TIMEOUT: "150s" });
    expect(expectFinding(run, report, "WK2006", "monitors/hoard.ts", 1).message).toMatch(/used more than 3 GiB of memory and was stopped: monitors\/hoard\.ts was running/);
  }, 200_000);

  it("an await that never settles is an error naming the module", async () => {
    const { run, report } = await validate(await project("sandbox-never-settles"));
    expectFinding(run, report, "WK2006", "monitors/wait.ts", 1);
  });
});

describe("a module cannot read the CI's environment", () => {
  it("an undeclared DB_PASSWORD is not visible to modules, nor anywhere in the output or the manifest", async () => {
    const dir = await project("sandbox-env-read");
    const { run, report } = await validate(dir);
    expectFinding(run, report, "no-process-env", "monitors/db.ts", 3);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
    // With the rule turned down to a warning the project compiles: the module saw nothing.
    const config = path.join(dir, "watchkeeper.config.ts");
    await writeFile(config, (await readFile(config, "utf8")).replace('name: "sandbox"', 'name: "sandbox", rules: { "no-process-env": "warning" }'));
    const out = path.join(dir, "out");
    const compiled = await wk(["compile", "--project", dir, "--out", out], ENV);
    expect(compiled.code, compiled.stderr + compiled.stdout).toBe(0);
    const manifest = await readFile(path.join(out, "manifest.json"), "utf8");
    expect(manifest + compiled.stdout + compiled.stderr).not.toContain(DB_PASSWORD);
    const monitors = (JSON.parse(manifest) as { monitors: { id: string; labels: Record<string, string> }[] }).monitors;
    expect(monitors.find((m) => m.id === "db-up")!.labels["password"]).toBe("unset");
  });

  it("a getter that reads a declared secret sees a placeholder, and the read is an error at the definition", async () => {
    const { run, report } = await validate(await project("sandbox-secret-getter"));
    expectFinding(run, report, "no-process-env", "monitors/token.ts", 3);
    expectFinding(run, report, "no-process-env", "monitors/token.ts", 8);
    expect(run.stdout + run.stderr).not.toContain(API_TOKEN);
  });
});

describe("a module cannot write files", () => {
  it("a write outside the project is refused, nothing is written, and the diagnostic names the module", async () => {
    const dir = await project("sandbox-file-write");
    const { run, report } = await validate(dir);
    expect(expectFinding(run, report, "WK2001", "monitors/write.ts", 4).message).toMatch(/tries to write/);
    expect(existsSync(path.join(path.dirname(dir), "escaped.txt"))).toBe(false);
  });
});

describe("a module's stray errors are diagnostics, not crashes", () => {
  it("an unhandled rejection is an error at the line that made it", async () => {
    const { run, report } = await validate(await project("sandbox-unhandled-rejection"));
    expect(expectFinding(run, report, "WK2001", "monitors/reject.ts", 5).message).toMatch(/nobody handles this/);
  });

  it("a throw from a timer is an error at the throwing line", async () => {
    const { run, report } = await validate(await project("sandbox-timer-throw"));
    expect(expectFinding(run, report, "WK2001", "monitors/late.ts", 6).message).toMatch(/thrown from a timer/);
  });

  it("a label object that contains itself is an error at the monitor, for validate and compile", async () => {
    const dir = await project("sandbox-self-label");
    const { run, report } = await validate(dir);
    expect(expectFinding(run, report, "WK4002", "monitors/loop.ts", 6).message).toMatch(/contains itself/);
    expect(run.stderr).not.toMatch(/internal error/);
    const compiled = await wk(["compile", "--project", dir, "--json"], ENV);
    expect(compiled.code).toBe(1);
    expect(compiled.stderr).not.toMatch(/internal error/);
  });
});

describe("the loader's sandbox", () => {
  it("reads only the named folders, writes nothing, and loads no addons", () => {
    const flags = permissionFlags("20.20.2", ["/project", "/package"]);
    expect(flags[0]).toBe("--experimental-permission");
    expect(flags).toContain("--allow-fs-read=/project");
    expect(flags).toContain("--no-addons");
    expect(flags.some((f) => /allow-fs-write|allow-child-process|allow-worker|allow-addons/.test(f))).toBe(false);
    expect(permissionFlags("22.13.0", [])[0]).toBe("--permission");
    expect(permissionFlags("24.1.0", [])[0]).toBe("--permission");
  });

  it("gets placeholders for declared secrets and nothing else", () => {
    expect(placeholderEnv(["API_TOKEN", "not a name"])).toEqual({ API_TOKEN: "PLACEHOLDER_API_TOKEN" });
  });

  it("gets no placeholder for a variable that configures the loader, Node or OpenSSL, whatever the config declares", () => {
    const declared = ["LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "OPENSSL_CONF", "OPENSSL_MODULES", "GCONV_PATH", "SSL_CERT_FILE", "API_TOKEN"];
    expect(placeholderEnv(declared)).toEqual({ API_TOKEN: "PLACEHOLDER_API_TOKEN" });
  });

  it("does not load a library from the project's folder named by a declared LD_LIBRARY_PATH", async () => {
    // A placeholder is a relative path, read from the child's folder (the project) before Node's
    // permission model exists: a library committed there would run as native code in the child.
    const dir = await project("ok");
    await mkdir(path.join(dir, "PLACEHOLDER_LD_LIBRARY_PATH"));
    for (const lib of ["libdl.so.2", "libstdc++.so.6", "libm.so.6", "libc.so.6"]) await writeFile(path.join(dir, "PLACEHOLDER_LD_LIBRARY_PATH", lib), "not a library");
    const work = await mkdtemp(path.join(tmpdir(), "wk-sandbox-work-"));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    await writeFile(path.join(work, "load.mjs"), "");
    const outcome = await runSandbox({
      mode: "project",
      projectDir: dir,
      sdk: locateSdk(),
      workDir: work,
      bundle: { file: path.join(work, "load.mjs"), mapFile: null },
      timeoutMs: 10_000,
      secrets: ["LD_LIBRARY_PATH"],
    });
    expect(outcome.kind).toBe("ended");
    expect(outcome.kind === "ended" && outcome.output).not.toMatch(/shared librar/);
    expect(outcome.kind === "ended" && outcome.code).toBe(0);
  });
});

describe("no-process-env", () => {
  it("flags every way of reading the environment, at its line, and leaves comments and other names alone", () => {
    const source = [
      "const a = process.env.A;",
      'const b = process["env"].B;',
      "const { env } = process;",
      'import { env as e } from "node:process";',
      "// process.env in a comment",
      "const environment = 'process environment';",
    ].join("\n");
    const ctx = { sources: new Map([["monitors/m.ts", source]]), config: { name: "p" }, manifest: { monitors: [] } } as unknown as RuleContext;
    const found = noProcessEnv({ ...ctx, manifest: emptyManifest() });
    expect(found.map((d) => [d.file, d.line, d.severity])).toEqual([1, 2, 3, 4].map((line) => ["monitors/m.ts", line, "error"]));
  });
});

function emptyManifest(): RuleContext["manifest"] {
  return { monitors: [], services: [], escalationPolicies: [], schedules: [], teams: [], users: [], channels: [], silences: [] } as unknown as RuleContext["manifest"];
}

describe("a project inside Watchkeeper's own checkout", () => {
  it("cannot read the checkout's .git, nor a link in it that leads out, while the package itself still loads", async () => {
    // This repository compiles its own monitors (npm start), so the package root can hold the project.
    const base = await mkdtemp(path.join(ROOT, ".wk-inside-"));
    cleanups.push(() => rm(base, { recursive: true, force: true }));
    const dir = path.join(base, "project");
    await cp(path.join(ROOT, "test/compiler/fixtures/ok"), dir, { recursive: true });
    await writeFile(
      path.join(dir, "monitors", "peek.ts"),
      [
        'import { readFileSync } from "node:fs";',
        'import { check, monitor } from "watchkeeper";',
        "",
        `readFileSync(${JSON.stringify(path.join(ROOT, ".git", "HEAD"))}, "utf8");`,
        "",
        'export const peek = monitor({ id: "peek", schedule: "* * * * *", check: check.tcp({ host: "db.internal", port: 5432 }) });',
        "",
      ].join("\n"),
    );
    const { run, report } = await validate(dir);
    expect(expectFinding(run, report, "WK2001", "monitors/peek.ts", 4).message).toMatch(/tries to read .*\.git/);
    // A link committed beside the project, in the checkout, that leads out of it: not readable either.
    await symlink("/etc/hostname", path.join(base, "escape"));
    await writeFile(path.join(dir, "monitors", "peek.ts"), (await readFile(path.join(dir, "monitors", "peek.ts"), "utf8")).replace(JSON.stringify(path.join(ROOT, ".git", "HEAD")), JSON.stringify(path.join(base, "escape"))));
    const linked = await validate(dir);
    expect(expectFinding(linked.run, linked.report, "WK2001", "monitors/peek.ts", 4).message).toMatch(/tries to read .*escape/);
    // Without the read, the same project inside the checkout compiles.
    await writeFile(path.join(dir, "monitors", "peek.ts"), 'import { check, monitor } from "watchkeeper";\nexport const peek = monitor({ id: "peek", schedule: "* * * * *", check: check.tcp({ host: "db.internal", port: 5432 }) });\n');
    const clean = await validate(dir);
    expect(clean.run.code, clean.run.stderr + JSON.stringify(clean.report.diagnostics)).toBe(0);
  });
});
