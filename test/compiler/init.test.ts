import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
    // One name for the project, the folder's, in the package, the config (hence the manifest) and the README.
    expect(JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")).name).toBe("fresh");
    expect(JSON.parse(await readFile(path.join(dir, "dist", "watchkeeper", "manifest.json"), "utf8")).project.name).toBe("fresh");
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toMatch(/^# fresh\n/);
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

  it("--force into an existing repository writes over none of the user's files, merges package.json, and says per file what it did", async () => {
    const dir = path.join(base, "existing-repo");
    await mkdir(path.join(dir, ".github", "workflows"), { recursive: true });
    const theirPackage = {
      name: "ops-repo",
      version: "3.2.1",
      scripts: { test: "jest", lint: "eslint ." },
      dependencies: { "left-pad": "^1.3.0", watchkeeper: "0.0.1" },
      devDependencies: { typescript: "^5.4.0" },
    };
    await writeFile(path.join(dir, "package.json"), JSON.stringify(theirPackage, null, 4) + "\n");
    await writeFile(path.join(dir, "README.md"), "# Ops repository\n");
    await writeFile(path.join(dir, "tsconfig.json"), '{ "compilerOptions": { "strict": false } }\n');
    await writeFile(path.join(dir, ".gitignore"), "node_modules\n*.log\n");
    await writeFile(path.join(dir, ".github", "workflows", "ci.yml"), "name: ci\n");

    const forced = await wk(["init", dir, "--force", "--from", "0.1.0"]);
    expect(forced.code, forced.stderr).toBe(0);

    // Their package.json: every field of theirs kept, what the project needs added, the dependency set.
    const merged = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
    expect(merged).toMatchObject({ name: "ops-repo", version: "3.2.1", type: "module" });
    expect(merged.scripts).toMatchObject({ test: "jest", lint: "eslint .", validate: "wk validate", plan: "wk plan --base origin/main" });
    expect(merged.dependencies).toEqual({ "left-pad": "^1.3.0", watchkeeper: "0.1.0" });
    expect(merged.devDependencies).toMatchObject({ typescript: "^5.4.0", "@types/node": expect.any(String) });
    expect(await readFile(path.join(dir, "package.json"), "utf8")).toMatch(/^ {4}"name"/m);
    // Other files of theirs kept; the scaffold's versions beside them.
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toBe("# Ops repository\n");
    expect(await readFile(path.join(dir, "tsconfig.json"), "utf8")).toBe('{ "compilerOptions": { "strict": false } }\n');
    expect(await readFile(path.join(dir, "README.md.wk-init"), "utf8")).toMatch(/wk validate|watchkeeper/i);
    expect(JSON.parse(await readFile(path.join(dir, "tsconfig.json.wk-init"), "utf8")).compilerOptions.strict).toBe(true);
    expect(await readFile(path.join(dir, ".github", "workflows", "ci.yml"), "utf8")).toBe("name: ci\n");
    expect(await readFile(path.join(dir, ".gitignore"), "utf8")).toBe("node_modules\n*.log\ndist/\n.watchkeeper/\n.env\n");

    // Said per file.
    expect(forced.stdout).toMatch(/merged +package\.json: .*set dependencies\.watchkeeper to "0\.1\.0" \(was "0\.0\.1"\).*kept yours: scripts\.test/);
    expect(forced.stdout).toMatch(/kept yours README\.md \(yours differs from the scaffold's\); the scaffold's is README\.md\.wk-init/);
    expect(forced.stdout).toMatch(/kept yours tsconfig\.json/);
    expect(forced.stdout).toMatch(/merged +\.gitignore: added dist\/, \.watchkeeper\/, \.env/);
    expect(forced.stdout).toMatch(/created +monitors\/example\.ts/);

    // Again: nothing left to do for the files it already wrote or merged.
    const again = await wk(["init", dir, "--force", "--from", "0.1.0"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/unchanged +package\.json/);
    expect(again.stdout).toMatch(/unchanged +\.gitignore/);
    expect(again.stdout).toMatch(/unchanged +monitors\/example\.ts/);
  });

  it("--force refuses a package.json it cannot merge, and writes nothing", async () => {
    const dir = path.join(base, "broken-package");
    await mkdir(dir);
    await writeFile(path.join(dir, "package.json"), "{ not json");
    const forced = await wk(["init", dir, "--force", "--from", "0.1.0"]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/package\.json cannot be merged with the scaffold's: it is not valid JSON/);
    expect(forced.stderr).toMatch(/nothing was written/);
    expect(await readdir(dir)).toEqual(["package.json"]);
    expect(await readFile(path.join(dir, "package.json"), "utf8")).toBe("{ not json");
  });

  it("refuses a --from that is not a watchkeeper tarball or checkout, saying what it is, before writing anything", async () => {
    const notes = path.join(base, "notes.txt");
    await writeFile(notes, "hello");
    const empty = path.join(base, "empty-folder");
    await mkdir(empty);
    const other = path.join(base, "other-package");
    await mkdir(other);
    await writeFile(path.join(other, "package.json"), JSON.stringify({ name: "left-pad" }));
    const project = path.join(base, "a-project");
    await mkdir(project);
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "my-monitors" }));
    await writeFile(path.join(project, "watchkeeper.config.ts"), "");
    const cases: [string[], RegExp][] = [
      [["--from"], /--from needs a value/],
      [["--from", path.join(base, "missing")], /no such file or folder/],
      [["--from", notes], /is a file, not a watchkeeper tarball/],
      [["--from", empty], /no readable package\.json, so it is not a watchkeeper checkout/],
      [["--from", other], /is the package "left-pad", not watchkeeper/],
      [["--from", project], /is a watchkeeper project .*not the watchkeeper package/],
    ];
    for (const [i, [args, message]] of cases.entries()) {
      const dir = path.join(base, `bad-from-${i}`);
      const run = await wk(["init", dir, ...args]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/hint: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dir)).toBe(false);
    }
  });
});

describe("this repository's own project", () => {
  it("validates with no error: its monitors and policies are the worked examples", async () => {
    const result = await compileProject({ projectDir: ROOT, write: false, now: NOW });
    expect(result.diagnostics.filter((d) => d.severity === "error"), JSON.stringify(result.diagnostics, null, 2)).toEqual([]);
    expect(result.manifest!.monitors.length).toBeGreaterThan(0);
  });
});
