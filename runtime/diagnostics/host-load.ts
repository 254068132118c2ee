import { readFile } from "node:fs/promises";
import type { DiagnosticSpec } from "../../sdk/manifest/schema.js";
import type { DiagnosticSection } from "./section.js";

/** `/proc/loadavg`: `0.52 0.58 0.59 1/1234 5678`. */
export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
  tasks: string | null;
}

/** The parts of `/proc/meminfo` that say how full memory is, in bytes. */
export interface MemoryUse {
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
}

export function parseLoadavg(text: string): LoadAverage | null {
  const fields = text.trim().split(/\s+/);
  const [load1, load5, load15] = fields.slice(0, 3).map(Number);
  if (load1 === undefined || load5 === undefined || load15 === undefined || [load1, load5, load15].some((n) => !Number.isFinite(n))) return null;
  return { load1, load5, load15, tasks: fields[3] ?? null };
}

export function parseMeminfo(text: string): MemoryUse | null {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s*kB)?\s*$/.exec(line.trim());
    if (match) kb.set(match[1]!, Number(match[2]));
  }
  const total = kb.get("MemTotal");
  // Kernels before 3.14 lack MemAvailable; free + buffers + page cache is the usual estimate.
  const available = kb.get("MemAvailable") ?? sumIfPresent(kb, ["MemFree", "Buffers", "Cached"]);
  if (total === undefined || total <= 0 || available === undefined) return null;
  return {
    totalBytes: total * 1024,
    availableBytes: available * 1024,
    usedPercent: Math.round(((total - available) / total) * 1000) / 10,
  };
}

function sumIfPresent(kb: Map<string, number>, keys: string[]): number | undefined {
  const values = keys.map((k) => kb.get(k));
  return values.every((v) => v !== undefined) ? values.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
}

/** Reads load and memory from loadavg- and meminfo-format files (the host's `/proc`, or a mounted copy). Never throws. */
export async function hostLoad(spec: Extract<DiagnosticSpec, { kind: "hostLoad" }>): Promise<DiagnosticSection> {
  const lines: string[] = [];
  const data: Record<string, unknown> = {};
  let ok = true;
  const [loadText, memText] = await Promise.all([readText(spec.loadavgFile), readText(spec.meminfoFile)]);
  const load = loadText.ok ? parseLoadavg(loadText.text) : null;
  if (load) {
    lines.push(`load average ${load.load1.toFixed(2)} ${load.load5.toFixed(2)} ${load.load15.toFixed(2)} (1/5/15 min)${load.tasks ? `, tasks ${load.tasks} running/total` : ""}`);
    data.load = load;
  } else {
    ok = false;
    lines.push(loadText.ok ? `${spec.loadavgFile} is not in loadavg format` : `cannot read ${spec.loadavgFile}: ${loadText.error}`);
  }
  const memory = memText.ok ? parseMeminfo(memText.text) : null;
  if (memory) {
    const used = memory.totalBytes - memory.availableBytes;
    lines.push(`memory ${gib(used)} used of ${gib(memory.totalBytes)} (${memory.usedPercent.toFixed(1)}%), ${gib(memory.availableBytes)} available`);
    data.memory = memory;
  } else {
    ok = false;
    lines.push(memText.ok ? `${spec.meminfoFile} is not in meminfo format (needs MemTotal and MemAvailable)` : `cannot read ${spec.meminfoFile}: ${memText.error}`);
  }
  return { kind: "hostLoad", title: "Host load", ok, lines, data };
}

async function readText(file: string): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    // Bounded: these files are a few KiB; a wrong path to a huge file must not fill memory.
    const text = (await readFile(file, "utf8")).slice(0, 64 * 1024);
    return { ok: true, text };
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
