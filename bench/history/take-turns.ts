import { loadavg } from "node:os";
import { quantile } from "../runtime/proc-stats.js";

/** What one variant's batches took: each batch's time (ms) and the rows they deleted. */
export interface Turns {
  times: number[];
  rows: number;
}

/**
 * Runs prune batches, variant `k` for `block` batches, then the next, in turn, until `batches` ran
 * or one deleted nothing: so every variant meets the same rows, the same disk and the same load.
 * `batch(k, first)` runs one batch of variant k (`first`: the first of its block) and returns the
 * rows it deleted. A batch is synchronous, so its time is the event-loop stall it causes.
 */
export function takeTurns(variants: number, block: number, batches: number, batch: (k: number, first: boolean) => number): Turns[] {
  const out = Array.from({ length: variants }, () => ({ times: [] as number[], rows: 0 }));
  for (let n = 0; n < batches; n++) {
    const k = Math.floor(n / block) % variants;
    const t0 = performance.now();
    const deleted = batch(k, n % block === 0);
    out[k]!.times.push(performance.now() - t0);
    out[k]!.rows += deleted;
    if (deleted === 0) break;
  }
  return out;
}

/** The load averages given and now, and a table row per variant: batches, rows, batch p50 / p99 / max. */
export function turnsReport(loadBefore: number[], column: string, names: string[], turns: Turns[]): string {
  const lines = [
    `Load average before (1, 5, 15 min): ${loadBefore.map((x) => x.toFixed(1)).join(", ")}; after: ${loadavg().map((x) => x.toFixed(1)).join(", ")}`,
    `| ${column} | batches | rows deleted | batch p50 / p99 / max |`,
    "|---|---|---|---|",
  ];
  turns.forEach(({ times, rows }, k) => {
    if (times.length === 0) return;
    lines.push(`| ${names[k]} | ${times.length} | ${rows.toLocaleString("en-US")} | ${quantile(times, 0.5).toFixed(1)} / ${quantile(times, 0.99).toFixed(1)} / ${Math.max(...times).toFixed(1)} ms |`);
  });
  return lines.join("\n") + "\n";
}
