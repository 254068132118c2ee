import type { ResultRow } from "../evaluate/evaluation-store.js";
import type { RollupBucket, RollupResolution } from "./history.js";

/**
 * Latency percentiles that merge: each rollup bucket keeps a sparse histogram of `durationMs` over
 * log-scale bins (DDSketch's layout with a fixed range), so a minute's bins add up to the hour's
 * and any range of buckets adds up to that range's, without the raw results.
 *
 * Bin 0 holds [0, 0.1 ms); bin i >= 1 holds [0.1 * g^(i-1), 0.1 * g^i) ms with g = 2^(1/8), up to
 * bin 255, which starts at about 4 days. A percentile is the nearest-rank value's bin, reported
 * as 2 * lo * hi / (lo + hi): within (g - 1) / (g + 1) = 4.33 % of the true value for durations of
 * 0.1 ms and more, within 0.05 ms below that, and never above the bucket's exact maximum.
 */
export const BINS_PER_DOUBLING = 8;
const GROWTH = 2 ** (1 / BINS_PER_DOUBLING);
const FLOOR_MS = 0.1;
const LAST_BIN = 255;

/** The relative error bound of a percentile for durations of at least 0.1 ms. */
export const PERCENTILE_RELATIVE_ERROR = (GROWTH - 1) / (GROWTH + 1);

/** Bucket widths in ms. */
export const ROLLUP_WIDTH_MS: Record<RollupResolution, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** bin -> how many results fell in it. */
export type Bins = Map<number, number>;

export function binOf(durationMs: number): number {
  if (!(durationMs >= FLOOR_MS)) return 0;
  return Math.min(LAST_BIN, 1 + Math.floor(BINS_PER_DOUBLING * Math.log2(durationMs / FLOOR_MS)));
}

/** The value a percentile in this bin reports. */
export function binValue(bin: number): number {
  if (bin <= 0) return FLOOR_MS / 2;
  const lo = FLOOR_MS * GROWTH ** (bin - 1);
  const hi = lo * GROWTH;
  return (2 * lo * hi) / (lo + hi);
}

/** What one commit adds to one bucket. */
export interface RollupDelta {
  start: number;
  count: number;
  failures: number;
  errors: number;
  maxMs: number;
  bins: Bins;
}

/**
 * Whether a result counts in a bucket's `errors`: it could not be evaluated and its monitor's
 * `onError: "unknown"` leaves it out of uptime (`firing` null). A check error that the default
 * `onError: "fail"` makes failing is a failure only: counted in both, it left the denominator of
 * uptime while staying in its failures, and a day its target refused every connection read
 * "no data", or below 0 %.
 */
export function countsAsError(r: Pick<ResultRow, "firing">): boolean {
  return r.firing === null;
}

/**
 * The results of one commit, summed per bucket of the given width (a commit's results share one
 * tick time, so this is one delta, except for a batch that straddles a boundary).
 */
export function rollupDeltas(results: readonly ResultRow[], widthMs: number): RollupDelta[] {
  const byStart = new Map<number, RollupDelta>();
  for (const r of results) {
    const start = Math.floor(r.at / widthMs) * widthMs;
    let d = byStart.get(start);
    if (!d) byStart.set(start, (d = { start, count: 0, failures: 0, errors: 0, maxMs: 0, bins: new Map() }));
    d.count += 1;
    if (r.firing === true) d.failures += 1;
    if (countsAsError(r)) d.errors += 1;
    const ms = Number.isFinite(r.durationMs) && r.durationMs > 0 ? r.durationMs : 0;
    if (ms > d.maxMs) d.maxMs = ms;
    const bin = binOf(ms);
    d.bins.set(bin, (d.bins.get(bin) ?? 0) + 1);
  }
  return [...byStart.values()];
}

/** Adds `b` into `a` and returns `a`. */
export function mergeBins(a: Bins, b: Bins): Bins {
  for (const [bin, n] of b) a.set(bin, (a.get(bin) ?? 0) + n);
  return a;
}

/**
 * Sparse bins as bytes: for each non-empty bin in ascending order, the bin (1 byte) and its count
 * (LEB128). A minute of a 10 s check is a few bytes; an hour rarely passes 60.
 */
export function encodeBins(bins: Bins): Buffer {
  const sorted = [...bins.entries()].filter(([, n]) => n > 0).sort((x, y) => x[0] - y[0]);
  const bytes: number[] = [];
  for (const [bin, count] of sorted) {
    bytes.push(bin & 0xff);
    let n = Math.floor(count);
    do {
      const low = n & 0x7f;
      n = Math.floor(n / 128);
      bytes.push(n > 0 ? low | 0x80 : low);
    } while (n > 0);
  }
  return Buffer.from(bytes);
}

/** Per-bin totals while addBinsTo works (bins are one byte), and the bytes it writes: reused, not allocated per call. */
const totals = new Float64Array(256);
const scratch = new Uint8Array(256 * 9);

/**
 * `encoded` (encodeBins' bytes) with `added` ([bin, count, bin, count, ...]) added, as bytes:
 * what encodeBins(mergeBins(decodeBins(encoded), added)) gives, without the maps and arrays. A
 * rollup row's merge runs for every closed minute (its hour and its day): on a day's row of many
 * bins that garbage was a fifth of the runtime's allocation (bench/results/history.md).
 */
export function addBinsTo(encoded: Uint8Array | null | undefined, added: readonly number[]): Buffer {
  if (encoded) eachBin(encoded, addToTotals);
  for (let i = 0; i < added.length; i += 2) totals[added[i]! & 0xff]! += added[i + 1]!;
  let at = 0;
  for (let bin = 0; bin < 256; bin++) {
    const count = totals[bin]!;
    if (count === 0) continue;
    totals[bin] = 0;
    if (!(count > 0)) continue;
    scratch[at++] = bin;
    let n = Math.floor(count);
    do {
      const low = n & 0x7f;
      n = Math.floor(n / 128);
      scratch[at++] = n > 0 ? low | 0x80 : low;
    } while (n > 0);
  }
  return Buffer.from(scratch.subarray(0, at));
}

export function decodeBins(buf: Uint8Array | null | undefined, into: Bins = new Map()): Bins {
  if (buf) eachBin(buf, (bin, n) => into.set(bin, (into.get(bin) ?? 0) + n));
  return into;
}

/** Each bin and count of encodeBins' bytes, in order; a count cut short ends it. */
function eachBin(buf: Uint8Array, visit: (bin: number, n: number) => void): void {
  let i = 0;
  while (i < buf.length) {
    const bin = buf[i++]!;
    let n = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[i++];
      if (byte === undefined) return;
      n += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
    }
    visit(bin, n);
  }
}

const addToTotals = (bin: number, n: number): void => {
  totals[bin]! += n;
};

/** The nearest-rank q-quantile (0 < q <= 1) of the binned durations, capped at the exact maximum. */
export function percentile(bins: Bins, count: number, q: number, maxMs: number): number | null {
  if (count <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (const bin of [...bins.keys()].sort((x, y) => x - y)) {
    seen += bins.get(bin)!;
    if (seen >= rank) return Math.min(binValue(bin), maxMs);
  }
  return maxMs;
}

/** A stored bucket as the views read it. */
export function rollupBucket(start: number, count: number, failures: number, errors: number, maxMs: number, bins: Bins): RollupBucket {
  return {
    start,
    count,
    failures,
    errors,
    p50: percentile(bins, count, 0.5, maxMs),
    p95: percentile(bins, count, 0.95, maxMs),
    p99: percentile(bins, count, 0.99, maxMs),
    max: count > 0 ? maxMs : null,
  };
}
