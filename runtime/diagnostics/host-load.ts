import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { kindOf } from "../file-kind.js";
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

/** The most of one loadavg or meminfo file that is read: the real ones are a few KiB. */
export const MAX_HOST_FILE_BYTES = 64 * 1024;

/**
 * One loadavg or meminfo file's text, read without ever waiting or reading without bound: opened
 * non-blocking, so a FIFO at that path answers at once instead of holding one of libuv's four
 * threads forever (four such diagnostics would stall every file read and DNS lookup of the
 * runtime); only a regular file (or a link to one: `/proc` files are regular files) of at most
 * MAX_HOST_FILE_BYTES is read.
 */
async function readText(file: string): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, error: `it is ${kindOf(stat)}, not a file: point it at a loadavg or meminfo file such as /proc/loadavg` };
    // The size the file says is not trusted (`/proc` files say 0, others may grow while read): at most one byte past the limit is read.
    const buffer = Buffer.alloc(MAX_HOST_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = (await handle.read(buffer, length, buffer.length - length, null)).bytesRead;
    if (length > MAX_HOST_FILE_BYTES) return { ok: false, error: `it is larger than ${MAX_HOST_FILE_BYTES / 1024} KiB, too large for a loadavg or meminfo file: check the path` };
    return { ok: true, text: buffer.toString("utf8", 0, length) };
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  } finally {
    await handle.close();
  }
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
