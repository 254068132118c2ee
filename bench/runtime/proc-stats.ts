import { readdirSync, readFileSync } from "node:fs";

/** Linux clock ticks per second for /proc/PID/stat times (USER_HZ; 100 on every mainstream kernel). */
const CLK_TCK = 100;

/** User + system CPU seconds a process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplitSeconds(pid);
  return user + system;
}

/** User and system CPU seconds of a process (all its threads) from /proc/PID/stat. */
export function cpuSplitSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/**
 * Major page faults of a process so far (all its threads), from /proc/PID/stat: pages it touched
 * that had to be read from disk (code of the node binary, a mapped file) while it ran.
 */
export function majorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[9]);
}

/** Peak resident set size in MB (VmHWM), from /proc/PID/status. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident set size now in MB (VmRSS), from /proc/PID/status. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Where the resident memory of a process sits, in MB, from /proc/PID/smaps: anonymous memory
 * (V8 heap, malloc arenas: SQLite's page cache, undici buffers), the node binary's own pages, and
 * the WAL index SQLite maps (`state.db-shm`) and other files (shared libraries, the SQLite add-on).
 */
export function residentBreakdownMb(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let name = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!.trim();
      name = path === "" || path.startsWith("[anon") ? "anonymous" : path === "[heap]" ? "anonymous" : path.endsWith("/node") ? "node binary" : path.endsWith(".db-shm") ? "WAL index" : path.startsWith("[") ? "other" : "files";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[name] = (out[name] ?? 0) + Number(rss[1]) / 1024;
  }
  return out;
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A child process of the runtime (the integrity check, the checkpoint helper) as /proc sees it now. */
export interface HelperProcess {
  pid: number;
  /** The command name (/proc/PID/comm): `node` for the check, `sqlite3` for the checkpoints. */
  name: string;
  cpuSeconds: number;
  peakRssMb: number;
}

/** The live children of a process, with their CPU so far and peak RSS; a child that just ended is left out. */
export function helperProcesses(pid: number): HelperProcess[] {
  const out: HelperProcess[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  const children = new Set<number>();
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/)) if (c) children.add(Number(c));
    } catch {
      // The thread ended.
    }
  }
  for (const c of children) {
    try {
      out.push({ pid: c, name: readFileSync(`/proc/${c}/comm`, "utf8").trim(), cpuSeconds: cpuSeconds(c), peakRssMb: peakRssMb(c) });
    } catch {
      // The child ended.
    }
  }
  return out;
}
