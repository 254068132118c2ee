import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalJson, type Manifest } from "../../../sdk/manifest/index.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds the CLI when the build is missing or older than the sources it runs. */
export function ensureBuild(): void {
  const built = join(ROOT, "build/runtime/notify/index.js");
  const sources = ["runtime", "cli", "sdk", "test/support/vendors"].map((p) => newestMtime(join(ROOT, p)));
  if (existsSync(join(ROOT, "build/cli/main.js")) && existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) return;
  try {
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { stdio: "ignore", cwd: ROOT });
  } catch (error) {
    // tsc exits non-zero on type errors elsewhere in the tree but still emits; only a missing build is fatal.
    if (!existsSync(built)) throw error;
  }
}

/** Writes a compiled artifact folder: manifest.json plus an empty monitors.mjs. */
export async function writeArtifact(dir: string, manifest: Manifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "manifest.json"), canonicalJson(manifest));
  await writeFile(join(dir, "monitors.mjs"), "export default {};\n");
}

/** A `wk run` process with its output. */
export interface RunProcess {
  proc: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns `node bin/watchkeeper.js run --artifact DIR --port 0` and waits for its URL. */
export async function startRun(artifact: string, state: string, env: Record<string, string>, timeoutMs = 30_000): Promise<RunProcess> {
  await mkdir(state, { recursive: true });
  const proc = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "run", "--artifact", artifact, "--state", state, "--port", "0", "--host", "127.0.0.1"], {
    cwd: state,
    env: { ...process.env, WK_SPREAD: "0s", WK_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => resolve(code));
    proc.once("error", (error) => {
      out += String(error);
      resolve(null);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wk run did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on("data", check);
    proc.stderr!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`wk run exited with ${code}:\n${out}`));
    });
  });
  return { proc, url, output: () => out, exited };
}

export async function kill(run: RunProcess, signal: NodeJS.Signals): Promise<void> {
  if (run.proc.exitCode !== null || run.proc.signalCode !== null) return;
  run.proc.kill(signal);
  await run.exited;
}
