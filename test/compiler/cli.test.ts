import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { FIXTURES, ROOT, wk } from "./support.js";

const CANARY = "wk-cli-canary-91b4d2";

describe("wk validate / wk compile (built CLI)", () => {
  let tmp: string;
  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "build", "cli", "main.js"))) throw new Error("the CLI build is missing: run `npm run build` before these tests");
    tmp = await mkdtemp(path.join(tmpdir(), "wk-cli-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("validate exits 0 on a clean project and says so", async () => {
    const run = await wk(["validate", "--project", path.join(FIXTURES, "ok")]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("no problems found");
    expect(run.code).toBe(0);
  });

  it("validate --json exits 1 on an error and prints the documented shape", async () => {
    const run = await wk(["validate", "--project", path.join(FIXTURES, "type-error"), "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual(["ok", "diagnostics", "summary"]);
    expect(report.ok).toBe(false);
    expect(report.summary).toEqual({ errors: 1, warnings: 0, notices: 0 });
    expect(report.diagnostics[0]).toEqual({
      severity: "error",
      code: "TS2322",
      message: expect.stringContaining('"urgent"'),
      hint: expect.any(String),
      file: "monitors/typo.ts",
      line: 7,
      column: 3,
    });
  });

  it("compile prints diagnostics as file:line:col with hints and writes nothing on errors", async () => {
    const out = path.join(tmp, "bad-out");
    const run = await wk(["compile", "--project", path.join(FIXTURES, "duplicate-id"), "--out", out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^monitors\/b\.ts:4:\d+  error  unique-ids  duplicate monitor id "checkout-up"/m);
    expect(run.stdout).toMatch(/^ {2}hint: /m);
    expect(run.stdout).toContain("1 error, 0 warnings, 0 notices");
    expect(run.stdout).toContain("nothing written");
    expect(existsSync(out)).toBe(false);
  });

  it("compile --json exits 0, writes the artifact, and never prints or writes a secret value from the environment", async () => {
    const out = path.join(tmp, "ok-out");
    const run = await wk(["compile", "--project", path.join(FIXTURES, "ok"), "--out", out, "--json"], { SLACK_WEBHOOK: CANARY, PAYMENTS_TOKEN: CANARY });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(true);
    expect(report.artifact).toEqual({ dir: out, hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect((await readdir(out)).sort()).toEqual(["manifest.json", "monitors.mjs"]);
    expect(run.stdout + run.stderr).not.toContain(CANARY);
    for (const file of await readdir(out)) expect(await readFile(path.join(out, file), "utf8")).not.toContain(CANARY);
  });

  it("--version prints the package's version from any folder, from the start-up bundle as from the plain build", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    // `npm run build` makes the bundle; the bin uses it while the build files it was made from are unchanged.
    expect(existsSync(path.join(ROOT, "build", "wk", "inputs.json"))).toBe(true);
    const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: tmp, encoding: "utf8" });
    const bundled = run([path.join(ROOT, "bin", "watchkeeper.js"), "--version"]);
    expect(bundled.stdout.trim()).toBe(version);
    const plain = run(["--input-type=module", "-e", `import(${JSON.stringify(pathToFileURL(path.join(ROOT, "build", "cli", "main.js")).href)}).then((cli) => cli.main(["--version"]))`]);
    expect(plain.stdout.trim()).toBe(version);
  });

  it("the start-up bundle carries zod's English messages only, and its schema errors read in English", async () => {
    const chunks = (await readdir(path.join(ROOT, "build", "wk"))).filter((f) => f.endsWith(".js"));
    const text = (await Promise.all(chunks.map((f) => readFile(path.join(ROOT, "build", "wk", f), "utf8")))).join("\n");
    expect(text).toContain("Invalid input: expected");
    // German and French, two of the 63 others.
    expect(text).not.toContain("Ungültige Eingabe");
    expect(text).not.toContain("Entrée invalide");
    const compiled = path.join(tmp, "artifact-for-zod");
    expect((await wk(["compile", "--project", path.join(FIXTURES, "ok"), "--out", compiled])).code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(compiled, "manifest.json"), "utf8")) as { monitors: Array<{ name: unknown }> };
    manifest.monitors[0]!.name = 42;
    await writeFile(path.join(compiled, "manifest.json"), JSON.stringify(manifest));
    const run = await wk(["run", "--artifact", compiled, "--state", path.join(tmp, "zod-state"), "--port", "0", "--host", "127.0.0.1"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("monitors.0.name: Invalid input: expected string, received number");
  });

  it("the plan's mock runs load Pulumi from a bundle of their own, without its Automation API, TypeScript or npm's arborist, and register the same resources", async () => {
    const manifestFile = path.join(tmp, "on-call-manifest.json");
    await writeFile(manifestFile, canonicalJson(sampleManifest()));
    // Each in a fresh node: the resources registered, and every CommonJS module and package it loaded.
    const script = `
      const { runUnderMocks } = await import(process.argv[1]);
      const { readFileSync } = await import("node:fs");
      const { createRequire } = await import("node:module");
      const run = await runUnderMocks(JSON.parse(readFileSync(process.argv[2], "utf8")));
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify({ resources: run.resources, loaded }));`;
    const mockRun = (module: string) => {
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, pathToFileURL(module).href, manifestFile], { cwd: tmp, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      expect(child.stderr).toBe("");
      return JSON.parse(child.stdout) as { resources: unknown[]; loaded: string[] };
    };
    const bundled = mockRun(path.join(ROOT, "build", "wk", "mock-run.mjs"));
    const plain = mockRun(path.join(ROOT, "build", "cli", "plan", "mock-run.js"));
    expect(bundled.resources.length).toBeGreaterThan(5);
    expect(bundled.resources).toEqual(plain.resources);
    const unused = /[\\/]node_modules[\\/](typescript|@npmcli[\\/]arborist)[\\/]|[\\/]@pulumi[\\/]pulumi[\\/]automation[\\/]/;
    expect(plain.loaded.some((file) => unused.test(file))).toBe(true);
    expect(bundled.loaded.filter((file) => unused.test(file))).toEqual([]);
    // The start-up bundle's plan imports it.
    const chunks = (await readdir(path.join(ROOT, "build", "wk"))).filter((f) => f.endsWith(".js"));
    const texts = await Promise.all(chunks.map((f) => readFile(path.join(ROOT, "build", "wk", f), "utf8")));
    expect(texts.some((text) => text.includes('import("./mock-run.mjs")'))).toBe(true);
  });

  it("exits 2 on a usage error", async () => {
    const run = await wk(["validate", "--no-such-flag"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown argument/i);
  });

  it("exits 1 (a finding about the environment) without a stack trace when the output folder cannot be written", async () => {
    const blocker = path.join(tmp, "a-file");
    await writeFile(blocker, "not a folder");
    const run = await wk(["compile", "--project", path.join(FIXTURES, "ok"), "--out", path.join(blocker, "out")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot write the artifact/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
