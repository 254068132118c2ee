import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { compileProject, type CompileResult } from "../../cli/compiler/index.js";

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

/** A fixed evaluation time, so coverage findings do not depend on the day the tests run. */
export const NOW = new Date("2026-11-23T00:00:00Z");

export interface Compiled {
  result: CompileResult;
  outDir: string;
  /** Whether anything was written to the output folder. */
  wrote: boolean;
}

/** Compiles a fixture project into a fresh temp output folder and removes it afterwards. */
export async function compileFixture(name: string, now: Date = NOW): Promise<Compiled> {
  const out = await mkdtemp(path.join(tmpdir(), "wk-out-"));
  const outDir = path.join(out, "watchkeeper");
  try {
    const result = await compileProject({ projectDir: path.join(FIXTURES, name), outDir, now });
    return { result, outDir, wrote: existsSync(outDir) };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Copies a fixture to a temp folder (with an ESM package.json) for tests that edit or write. */
export async function copyFixture(name: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(path.join(tmpdir(), "wk-project-"));
  const dir = path.join(base, name);
  await cp(path.join(FIXTURES, name), dir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  return { dir, cleanup: () => rm(base, { recursive: true, force: true }) };
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/watchkeeper.js`) as its own process, without color. */
export function wk(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "watchkeeper.js"), ...args], { cwd: ROOT, env: { ...process.env, ...env, FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b));
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Compile caches on, with the HMAC key in a temporary "user cache" (XDG_CACHE_HOME) so the
 * machine's own is not touched; the settings are restored after the file's tests.
 */
export function temporaryUserCache(): void {
  const saved = { dir: process.env["WK_CACHE_DIR"], xdg: process.env["XDG_CACHE_HOME"], off: process.env["WK_CACHE"] };
  let userCache = "";
  beforeAll(async () => {
    userCache = await mkdtemp(path.join(tmpdir(), "wk-user-cache-"));
    process.env["XDG_CACHE_HOME"] = userCache;
    delete process.env["WK_CACHE"];
  });
  afterAll(async () => {
    for (const [name, value] of [["WK_CACHE_DIR", saved.dir], ["XDG_CACHE_HOME", saved.xdg], ["WK_CACHE", saved.off]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(userCache, { recursive: true, force: true });
  });
}

/** A compile cache entry file as the cache writes it: a header line (key, seal), then the body. */
export function readEntry(text: string): { key: string; mac: string; body: string } {
  const newline = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, newline)) as { key: string; mac: string };
  return { ...header, body: text.slice(newline + 1) };
}

/** An entry file with the given key, seal and body (to forge one in tests). */
export function writeEntry(key: string, mac: string, body: string): string {
  return JSON.stringify({ key, mac }) + "\n" + body;
}
