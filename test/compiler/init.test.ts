import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { NOW, ROOT, wk } from "./support.js";

describe("wk init", () => {
  let base: string;
  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "build", "cli", "main.js"))) throw new Error("the CLI build is missing: run `npm run build` before these tests");
    base = await mkdtemp(path.join(tmpdir(), "wk-init-"));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("scaffolds a project that validates and compiles out of the box", async () => {
    const dir = path.join(base, "fresh");
    const init = await wk(["init", dir]);
    expect(init.code).toBe(0);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(["watchkeeper.config.ts", "package.json", ".gitignore", "monitors", "policies"]));
    const validate = await wk(["validate", "--project", dir, "--json"]);
    expect(JSON.parse(validate.stdout).summary.errors).toBe(0);
    expect(validate.code).toBe(0);
    const compile = await wk(["compile", "--project", dir]);
    expect(compile.code).toBe(0);
    expect((await readdir(path.join(dir, "dist", "watchkeeper"))).sort()).toEqual(["manifest.json", "monitors.mjs"]);
  });

  it("refuses a folder that already has files, unless forced", async () => {
    const dir = path.join(base, "taken");
    await wk(["init", dir]);
    await writeFile(path.join(dir, "notes.txt"), "mine");
    const again = await wk(["init", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty/);
    expect(again.stderr).toMatch(/--force/);
    const forced = await wk(["init", dir, "--force"]);
    expect(forced.code).toBe(0);
    expect(existsSync(path.join(dir, "notes.txt"))).toBe(true);
  });
});

describe("this repository's own project", () => {
  it("validates with no error: its monitors and policies are the worked examples", async () => {
    const result = await compileProject({ projectDir: ROOT, write: false, now: NOW });
    expect(result.diagnostics.filter((d) => d.severity === "error"), JSON.stringify(result.diagnostics, null, 2)).toEqual([]);
    expect(result.manifest!.monitors.length).toBeGreaterThan(0);
  });
});
