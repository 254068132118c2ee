import { spawn } from "node:child_process";
import { join } from "node:path";
import { pinned } from "./fleet.js";

/** What the bare undici loop (undici-loop.mjs) measured. */
export interface Ceiling {
  requestsPerSecond: number;
  cpuPer1000: number;
  failed: number;
}

/**
 * The machine's ceiling for the runtime's HTTP work: a bare undici request loop on the same core
 * and against the same target, with the runtime's Agent settings and nothing else per request.
 */
export async function measureCeiling(targetUrl: string, cpus: string | null, seconds: number): Promise<Ceiling> {
  const [cmd, args] = pinned(cpus, process.execPath, [join(process.cwd(), "bench/runtime/undici-loop.mjs"), targetUrl, String(seconds), "256", "64"]);
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  if (code !== 0) throw new Error(`undici-loop exited with ${code}`);
  return JSON.parse(out.trim().split("\n").pop()!) as Ceiling;
}
