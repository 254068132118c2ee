import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { manifestOf, monitorSpec, writeArtifact } from "../../test/runtime/support/manifest.js";
import { startChild, type RunningChild } from "../../test/runtime/support/child-process.js";
import { cpuSeconds, majorFaults, rssMb } from "./proc-stats.js";
import { RUNTIME_ENV } from "./settings.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A command line pinned to the given CPUs with taskset, or left as is when `cpus` is null. */
export function pinned(cpus: string | null, command: string, args: string[]): [string, string[]] {
  return cpus === null ? [command, args] : ["taskset", ["-c", cpus, command, ...args]];
}

/** The loopback target both probers hit (bench/runtime/target.mjs), on `cpus` when given. */
export async function startTarget(cpus: string | null): Promise<{ proc: ChildProcess; url: string }> {
  const [cmd, args] = pinned(cpus, process.execPath, [join(process.cwd(), "bench/runtime/target.mjs")]);
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`target exited with ${code}`)));
    proc.stdout!.on("data", (c: Buffer) => {
      const m = /PORT (\d+)/.exec(c.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return { proc, url: `http://127.0.0.1:${port}/ok` };
}

/** Writes an artifact of `count` HTTP monitors on `targetUrl`, `every: 10s`. */
export async function writeFleet(dir: string, count: number, targetUrl: string): Promise<void> {
  const base = monitorSpec({ id: "x" }).check;
  const monitors = Array.from({ length: count }, (_, i) =>
    monitorSpec({ id: `bench-${i}`, schedule: { kind: "every", every: "10s" }, check: { ...base, url: targetUrl, timeout: "5s" } as typeof base }),
  );
  await writeArtifact(dir, manifestOf(monitors));
}

/** What the runtime child writes on SIGUSR2 (test/runtime/support/runtime-child.ts, WK_CHILD_STATS). */
export interface ChildStats {
  at: number;
  lags: Array<[number, number]>;
  checks: Record<string, number>;
  skipped: Record<string, number>;
  /** The pruner's batches so far; cumulative counts by batch time, [le in ms, count]. */
  prune?: { count: number; seconds: number; rows: number; buckets: Array<[number, number]> };
  /** WK_CHILD_STALLS: [ended at, what, ms, detail]: late ticks, long store calls, GC pauses, commit holds, event-loop gaps. */
  stalls?: Array<[number, string, number, number]>;
  memory: NodeJS.MemoryUsage;
}

/** A runtime child with its state folder, measured from outside (/proc) and inside (stats snapshots). */
export interface MeasuredRuntime {
  child: RunningChild;
  pid: number;
  snapshot(): Promise<ChildStats & { cpu: number }>;
  stop(): Promise<void>;
}

export async function startRuntime(
  script: string,
  o: { artifact: string; state: string; statsFile: string; cpus: string | null; nodeOptions: string[]; concurrency?: number; startTimeoutMs?: number; stalls?: boolean },
): Promise<MeasuredRuntime> {
  const env = {
    ...RUNTIME_ENV,
    WK_CHILD_ARTIFACT: o.artifact,
    WK_CHILD_STATE: o.state,
    WK_CHILD_SPREAD_MS: "10000",
    WK_CHILD_CONCURRENCY: String(o.concurrency ?? 256),
    ...(o.stalls ? { WK_CHILD_STALLS: "1" } : {}),
    WK_CHILD_STATS: o.statsFile,
    WK_LOG_LEVEL: "warn",
  };
  const launcher = o.cpus === null ? [] : ["-c", o.cpus, process.execPath];
  const child = await startChild(script, env, o.startTimeoutMs ?? 180_000, o.nodeOptions, o.cpus === null ? undefined : { command: "taskset", prefix: launcher });
  const pid = child.proc.pid!;
  return {
    child,
    pid,
    async snapshot() {
      const before = Date.now();
      child.proc.kill("SIGUSR2");
      for (let i = 0; i < 1200; i++) {
        await sleep(25);
        try {
          const stats = JSON.parse(await readFile(o.statsFile, "utf8")) as ChildStats;
          if (stats.at >= before) return { ...stats, cpu: cpuSeconds(pid) };
        } catch {
          // not written yet
        }
      }
      throw new Error("the runtime did not write its stats");
    },
    async stop() {
      child.proc.kill("SIGTERM");
      await child.exited;
    },
  };
}

/** Counts in `b` minus counts in `a`, for a lag histogram of [ms, count] pairs. */
export function lagDelta(a: Array<[number, number]>, b: Array<[number, number]>): Map<number, number> {
  const out = new Map<number, number>(b);
  for (const [ms, n] of a) out.set(ms, (out.get(ms) ?? 0) - n);
  return out;
}

/** The q-quantile of a histogram of [value, count]. */
export function histogramQuantile(h: Map<number, number>, q: number): number {
  const entries = [...h].filter(([, n]) => n > 0).sort((x, y) => x[0] - y[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [v, n] of entries) {
    seen += n;
    if (seen >= rank) return v;
  }
  return entries[entries.length - 1]![0];
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((s, n) => s + n, 0);

/** One measurement window of a running runtime: rate, CPU, lag, skipped ticks, RSS over time. */
export interface Window {
  seconds: number;
  checksPerSecond: number;
  cpuPer1000: number;
  cpuShare: number;
  lagP50: number;
  lagP99: number;
  /** The 99.9th percentile: at 1,000 checks a second, the few hundred latest ticks of a window, a steadier tail than its one worst. */
  lagP999: number;
  lagMax: number;
  /** The runtime's major page faults in the window: each a read from disk outside any call it made for one. */
  majorFaults: number;
  skipped: number;
  failed: number;
  rssSamples: Array<[number, number]>;
  peakRss: number;
  memory: NodeJS.MemoryUsage;
  /** The pruner in the window: batches, rows deleted, seconds it held the event loop, batches over 10 / 25 / 50 ms. */
  prune: { batches: number; rows: number; seconds: number; over10: number; over25: number; over50: number };
  /** With WK_CHILD_STALLS: the latest ticks of the window, each with what it waited behind (lateTicks). */
  lateTicks?: LateTick[];
}

export interface LateTick {
  lagMs: number;
  /** When it started, in seconds from the window's start. */
  atSeconds: number;
  /** The stalls that overlapped its wait, longest first: "commit 64 ms, 212 rows", "hold 100 ms", "gc 31 ms". */
  behind: string[];
}

/**
 * The `n` latest ticks that started between `from` and `to`, each with the stalls that overlapped
 * its wait (from its scheduled time to its start): a synchronous store call, a GC pause or a gap
 * that held the event loop, or a commit hold that held the evaluations queued behind it.
 */
export function lateTicks(stalls: Array<[number, string, number, number]>, from: number, to: number, n = 5): LateTick[] {
  const ticks = stalls.filter(([at, what]) => what === "tick" && at >= from && at <= to).sort((x, y) => y[2] - x[2]).slice(0, n);
  return ticks.map(([at, , lag]) => {
    const waitFrom = at - lag;
    const behind = stalls
      .filter(([end, what, ms]) => what !== "tick" && end >= waitFrom && end - ms <= at)
      .sort((x, y) => y[2] - x[2])
      .map(([, what, ms, detail]) => (what.startsWith("loop ") ? what : `${what} ${Math.round(ms)} ms${what === "commit" || what === "prune" ? `, ${detail} rows` : ""}`));
    return { lagMs: lag, atSeconds: (at - from) / 1000, behind };
  });
}

function pruneDelta(a: ChildStats["prune"], b: ChildStats["prune"]): Window["prune"] {
  const none = { count: 0, seconds: 0, rows: 0, buckets: [] as Array<[number, number]> };
  const x = a ?? none;
  const y = b ?? none;
  const upTo = (s: typeof x, ms: number) => s.buckets.find(([le]) => Math.abs(le - ms) < 1e-6)?.[1] ?? 0;
  const over = (ms: number) => y.count - upTo(y, ms) - (x.count - upTo(x, ms));
  return { batches: y.count - x.count, rows: y.rows - x.rows, seconds: y.seconds - x.seconds, over10: over(10), over25: over(25), over50: over(50) };
}

/** Measures `seconds` of a running runtime, sampling RSS every `sampleMs`. */
export async function measure(rt: MeasuredRuntime, seconds: number, sampleMs = 1000): Promise<Window> {
  const a = await rt.snapshot();
  const faultsBefore = majorFaults(rt.pid);
  const t0 = Date.now();
  const rssSamples: Array<[number, number]> = [];
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(Math.min(sampleMs, seconds * 1000 - (Date.now() - t0)));
    rssSamples.push([(Date.now() - t0) / 1000, rssMb(rt.pid)]);
  }
  const faults = majorFaults(rt.pid) - faultsBefore;
  const b = await rt.snapshot();
  const elapsed = (b.at - a.at) / 1000;
  const checks = sum(b.checks) - sum(a.checks);
  const lags = lagDelta(a.lags, b.lags);
  return {
    seconds: elapsed,
    checksPerSecond: checks / elapsed,
    cpuPer1000: ((b.cpu - a.cpu) / checks) * 1000,
    cpuShare: (b.cpu - a.cpu) / elapsed,
    lagP50: histogramQuantile(lags, 0.5),
    lagP99: histogramQuantile(lags, 0.99),
    lagP999: histogramQuantile(lags, 0.999),
    lagMax: histogramQuantile(lags, 1),
    majorFaults: faults,
    skipped: sum(b.skipped) - sum(a.skipped),
    failed: (b.checks.failed ?? 0) + (b.checks.error ?? 0) - (a.checks.failed ?? 0) - (a.checks.error ?? 0),
    rssSamples,
    peakRss: Math.max(...rssSamples.map(([, r]) => r)),
    memory: b.memory,
    prune: pruneDelta(a.prune, b.prune),
    ...(b.stalls ? { lateTicks: lateTicks(b.stalls, a.at, b.at) } : {}),
  };
}
