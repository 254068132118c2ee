import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Bundles the runtime child script with esbuild into node_modules/.cache (so its bare imports
 * resolve to the project's node_modules) and returns the path. No tsc build of the whole tree needed.
 */
export async function bundleChild(name: string): Promise<string> {
  const outdir = join(ROOT, "node_modules/.cache/watchkeeper-tests");
  const entry = `${name}-${process.pid}`;
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { [entry]: join(ROOT, "test/runtime/support/runtime-child.ts") },
    outdir,
    outExtension: { ".js": ".mjs" },
    // Split at dynamic imports as node would load them: a child that is not a replica must not
    // load BullMQ and ioredis up front (the runtime benchmark measures its memory).
    splitting: true,
    chunkNames: `chunks-${process.pid}/[name]-[hash]`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  return join(outdir, `${entry}.mjs`);
}

/** A spawned runtime with its output collected. */
export interface RunningChild {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts the bundled child and waits until it prints its URL. A `launcher` runs node through
 * another command that execs it (benchmarks: `taskset -c 0 node`), so the pid stays node's.
 */
export async function startChild(
  script: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
  nodeArgs: string[] = [],
  launcher?: { command: string; prefix: string[] },
): Promise<RunningChild> {
  const proc = spawn(launcher?.command ?? process.execPath, [...(launcher?.prefix ?? []), ...nodeArgs, script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start:\n${err}\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /READY (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`child exited with ${code}:\n${err}\n${out}`)));
  });
  return { proc, url, stdout: () => out, stderr: () => err, exited };
}

/** Polls until `probe` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Parsed JSON log lines of the built-in log channel's notifications. */
export function notifications(stdout: string): Array<{ id: string; type: string; dedupKey: string }> {
  return stdout
    .split("\n")
    .filter((l) => l.includes('"notification"'))
    .map((l) => JSON.parse(l) as { msg: string; notification?: { id: string; type: string; dedupKey: string } })
    .filter((l) => l.msg === "notification" && l.notification)
    .map((l) => l.notification!);
}
