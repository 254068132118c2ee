import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { folderWithin, openCompileCache, sha256 } from "../../cli/compiler/compile-cache.js";
import { planTypecheck } from "../../cli/compiler/typecheck-cache.js";
import { copyFixture, NOW, readEntry, ROOT, temporaryUserCache, writeEntry } from "./support.js";

// Each test gets a project copy and a cache folder of its own; the HMAC key lives in a temp
// "user cache" so the machine's own is not touched.
temporaryUserCache();
let project: { dir: string; cleanup: () => Promise<void> };

async function freshProject(): Promise<string> {
  project = await copyFixture("ok");
  process.env["WK_CACHE_DIR"] = path.join(project.dir, "..", "cache");
  return project.dir;
}

afterEach(async () => {
  await project?.cleanup();
});

const validate = (dir: string) => compileProject({ projectDir: dir, write: false, now: NOW });
const monitorFile = (dir: string) => path.join(dir, "monitors", "payments.ts");
const policyFile = (dir: string) => path.join(dir, "policies", "oncall.ts");

// Several whole compiles per test on a shared machine: generous limits, nothing timed.
describe("the compile cache", () => {
  it("catches a type error introduced after a clean, cached check, at its file:line", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    expect((await validate(dir)).ok).toBe(true);
    expect((await validate(dir)).ok).toBe(true);

    const source = await readFile(monitorFile(dir), "utf8");
    await writeFile(monitorFile(dir), source.replace('for: "5m",', 'for: 5,'));
    const warm = await validate(dir);
    expect(warm.ok).toBe(false);
    const error = warm.diagnostics.find((d) => d.code === "TS2322");
    expect(error, JSON.stringify(warm.diagnostics, null, 2)).toMatchObject({ file: "monitors/payments.ts", line: 10, column: 3 });

    // Still reported on the next run (a failed check is never stored), and gone once fixed.
    expect((await validate(dir)).diagnostics.some((d) => d.code === "TS2322")).toBe(true);
    await writeFile(monitorFile(dir), source);
    expect((await validate(dir)).ok).toBe(true);
  });

  it("skips the check when nothing changed, and rechecks a changed file with the files that import it", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    expect((await validate(dir)).ok).toBe(true);
    const cache = openCompileCache(dir)!;
    const roots = [path.join(dir, "watchkeeper.config.ts"), monitorFile(dir), policyFile(dir)];
    const key = (await readStored(cache.dir)).key;

    expect(planTypecheck(cache, key, roots).kind).toBe("clean");
    await writeFile(monitorFile(dir), (await readFile(monitorFile(dir), "utf8")) + "\n// edited\n");
    expect(planTypecheck(cache, key, roots)).toMatchObject({ kind: "check", full: false, roots: [monitorFile(dir)] });
    await writeFile(policyFile(dir), (await readFile(policyFile(dir), "utf8")) + "\n// edited\n");
    // The monitor imports the policy module: both are checked again.
    expect(planTypecheck(cache, key, roots)).toMatchObject({ kind: "check", full: false, roots: [monitorFile(dir), policyFile(dir)].sort() });
    // A file that declares globals can change any file's types: everything is checked.
    await writeFile(policyFile(dir), (await readFile(policyFile(dir), "utf8")) + "\ndeclare global { var x: number }\n");
    expect(planTypecheck(cache, key, roots)).toMatchObject({ kind: "check", full: true });
  });

  it("ignores an entry edited to say that code with a type error is clean", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    expect((await validate(dir)).ok).toBe(true);
    const source = await readFile(monitorFile(dir), "utf8");
    const broken = source.replace('for: "5m",', 'for: 5,');
    await writeFile(monitorFile(dir), broken);

    // The attacker knows the format: they record the broken file's hash as checked and clean,
    // and recompute the checksum with a key of their own (they cannot read the user's key).
    const cacheDir = process.env["WK_CACHE_DIR"]!;
    const entryFile = path.join(cacheDir, "typecheck.json");
    const entry = readEntry(await readFile(entryFile, "utf8"));
    const body = JSON.parse(entry.body) as { files: Record<string, string> };
    body.files[monitorFile(dir)] = sha256(broken);
    const forged = JSON.stringify(body);
    const { createHmac } = await import("node:crypto");
    await writeFile(entryFile, writeEntry(entry.key, createHmac("sha256", "guessed").update(`typecheck\0${entry.key}\0${forged}`).digest("hex"), forged));
    const result = await validate(dir);
    expect(result.diagnostics.find((d) => d.code === "TS2322")).toMatchObject({ file: "monitors/payments.ts", line: 10 });

    // The same forgery keeping the old checksum fails too.
    await writeFile(entryFile, writeEntry(entry.key, entry.mac, forged));
    expect((await validate(dir)).diagnostics.some((d) => d.code === "TS2322")).toBe(true);
  });

  it("reloads the config when it changes", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    expect((await validate(dir)).ok).toBe(true);
    const config = path.join(dir, "watchkeeper.config.ts");
    const text = await readFile(config, "utf8");
    // The cached config is not used once the file differs: the new shape is checked.
    await writeFile(config, text.replace(/name: "[^"]*"/, 'name: ""'));
    const result = await validate(dir);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.some((d) => d.code === "WK1002" && /name/.test(d.message))).toBe(true);
  });

  it("reads no entry that is not a regular file: a FIFO or a link to /dev/zero in its place costs only the cache", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    const cacheDir = process.env["WK_CACHE_DIR"]!;
    const truth = await validate(dir);
    expect(truth.ok).toBe(true);
    await rm(path.join(cacheDir, "load.json"));
    execFileSync("mkfifo", [path.join(cacheDir, "load.json")]);
    await rm(path.join(cacheDir, "typecheck.json"));
    await symlink("/dev/zero", path.join(cacheDir, "typecheck.json"));
    // In a process of its own, with a limit: a blocking open of the FIFO, or reading /dev/zero to
    // its end, would never return (and would block this test's thread with it).
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "watchkeeper.js"), "validate", "--project", dir], { env: { ...process.env, FORCE_COLOR: "0" } });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b));
    child.stderr.on("data", (b: Buffer) => (output += b));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(killer);
    expect({ code, output }).toEqual({ code: 0, output: "no problems found\n" });
  });

  it("follows no link a checkout holds: its entries go to the user's cache instead, and nothing where the link points is touched", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    delete process.env["WK_CACHE_DIR"];
    try {
      // A folder outside the project with a file the cache would write over (config.json), reached
      // through a link committed as node_modules/.cache.
      const elsewhere = path.join(dir, "..", "elsewhere");
      await mkdir(path.join(elsewhere, "watchkeeper"), { recursive: true });
      await writeFile(path.join(elsewhere, "watchkeeper", "config.json"), "precious");
      await mkdir(path.join(dir, "node_modules"));
      await symlink(elsewhere, path.join(dir, "node_modules", ".cache"));
      expect((await validate(dir)).ok).toBe(true);
      expect(await readdir(path.join(elsewhere, "watchkeeper"))).toEqual(["config.json"]);
      expect(await readFile(path.join(elsewhere, "watchkeeper", "config.json"), "utf8")).toBe("precious");
      expect(openCompileCache(dir)!.dir.startsWith(process.env["XDG_CACHE_HOME"]!)).toBe(true);
    } finally {
      process.env["WK_CACHE_DIR"] = path.join(dir, "..", "cache");
    }
  });

  it("gives a folder within a checkout only when no part of it is a link or a file", async () => {
    // A folder of its own: a fixture copy may hold a .watchkeeper another test's run left there.
    const dir = path.join(await freshProject(), "..", "checkout");
    await mkdir(dir);
    expect(folderWithin(dir, [".watchkeeper", "plan-cache"], false)).toBe(path.join(dir, ".watchkeeper", "plan-cache"));
    expect(existsSync(path.join(dir, ".watchkeeper"))).toBe(false);
    expect(folderWithin(dir, [".watchkeeper", "plan-cache"])).toBe(path.join(dir, ".watchkeeper", "plan-cache"));
    await rm(path.join(dir, ".watchkeeper"), { recursive: true });
    await mkdir(path.join(dir, ".watchkeeper"));
    await symlink(path.join(dir, ".."), path.join(dir, ".watchkeeper", "plan-cache"));
    expect(folderWithin(dir, [".watchkeeper", "plan-cache"], false)).toBeNull();
    await rm(path.join(dir, ".watchkeeper"), { recursive: true });
    await symlink("/nonexistent", path.join(dir, ".watchkeeper"));
    expect(folderWithin(dir, [".watchkeeper", "plan-cache"])).toBeNull();
    await rm(path.join(dir, ".watchkeeper"));
    await writeFile(path.join(dir, ".watchkeeper"), "a file");
    expect(folderWithin(dir, [".watchkeeper", "plan-cache"], false)).toBeNull();
  });

  it("is off with WK_CACHE=off", { timeout: 240_000 }, async () => {
    const dir = await freshProject();
    process.env["WK_CACHE"] = "off";
    try {
      expect(openCompileCache(dir)).toBeNull();
    } finally {
      delete process.env["WK_CACHE"];
    }
  });
});

async function readStored(cacheDir: string): Promise<{ key: string }> {
  return readEntry(await readFile(path.join(cacheDir, "typecheck.json"), "utf8"));
}
