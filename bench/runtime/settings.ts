/**
 * The process settings the runtime runs with in the image (Dockerfile) and in the benchmark; why
 * each, with the numbers, in docs/runtime.md and bench/results/runtime.md.
 */

import { execFileSync } from "node:child_process";
import { cpus } from "node:os";

/**
 * Whether the benchmarks pin the prober to CPU 0 and the target to CPU 1: two CPUs or more, taskset
 * present, and not turned off with WK_BENCH_PIN=0.
 */
export function canPinCpus(): boolean {
  if (process.env.WK_BENCH_PIN === "0" || cpus().length < 2) return false;
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The old-space cap for a fleet: 128 MB up to 20,000 monitors, then about 5 MB per 1,000 (start-up
 * holds the manifest as text, as parsed JSON and as checked specs at once: 50,000 monitors need
 * about 160 MB for that moment, 60 MB once it is over).
 */
export function heapCapMb(monitors: number): number {
  return Math.max(128, Math.ceil((monitors * 5) / 1000 / 64) * 64);
}

/**
 * Node flags: the heap cap, and a young generation of 2 x 4 MB instead of V8's 2 x 16 MB (a check's
 * garbage dies young either way; 1 MB semi-spaces cost a third more CPU per check, 4 MB no
 * measurable CPU, and save about 24 MB of RSS).
 */
export function runtimeNodeOptions(monitors: number): string {
  return `--max-old-space-size=${heapCapMb(monitors)} --max-semi-space-size=4`;
}

/**
 * glibc: a fixed trim threshold turns off malloc's dynamic mmap threshold, which after one large
 * transient allocation at start-up kept tens of MB of freed memory resident for good.
 */
export const RUNTIME_ENV: Record<string, string> = { MALLOC_TRIM_THRESHOLD_: "131072" };
