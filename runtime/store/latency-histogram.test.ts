import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addBinsTo, binOf, decodeBins, encodeBins, mergeBins, percentile, PERCENTILE_RELATIVE_ERROR, type Bins } from "./latency-histogram.js";

const binsOf = (values: number[]): Bins => {
  const bins: Bins = new Map();
  for (const v of values) bins.set(binOf(v), (bins.get(binOf(v)) ?? 0) + 1);
  return bins;
};
const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1]!;
const durations = fc.array(fc.double({ min: 0.1, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 400 });

describe("latency percentiles from mergeable bins", () => {
  it("are within the documented 4.33 % of the exact nearest-rank value, and never above the maximum", () => {
    fc.assert(
      fc.property(durations, fc.constantFrom(0.5, 0.95, 0.99), (values, q) => {
        const max = Math.max(...values);
        const got = percentile(binsOf(values), values.length, q, max)!;
        const want = exact(values, q);
        expect(Math.abs(got - want) / want).toBeLessThanOrEqual(PERCENTILE_RELATIVE_ERROR + 1e-12);
        expect(got).toBeLessThanOrEqual(max);
      }),
    );
  });

  it("merge: an hour's bins are its minutes' bins added, in any grouping, and survive encoding", () => {
    fc.assert(
      fc.property(fc.array(durations, { minLength: 1, maxLength: 6 }), (minutes) => {
        const merged = minutes.reduce((acc, m) => mergeBins(acc, decodeBins(encodeBins(binsOf(m)))), new Map() as Bins);
        expect(decodeBins(encodeBins(merged))).toEqual(binsOf(minutes.flat()));
      }),
    );
  });

  it("adding held bins to a stored row's bytes gives the bytes of the merged bins, removals and large counts included", () => {
    const bins = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 40 });
    const held = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -50, max: 5_000 })), { maxLength: 12 });
    fc.assert(
      fc.property(bins, held, (stored, added) => {
        const row = encodeBins(new Map(stored));
        const flat = added.flat();
        const want = mergeBins(decodeBins(row), new Map());
        for (const [bin, n] of added) want.set(bin, (want.get(bin) ?? 0) + n);
        expect([...addBinsTo(row, flat)]).toEqual([...encodeBins(want)]);
        // Nothing carries over from one call to the next.
        expect([...addBinsTo(null, [])]).toEqual([]);
      }),
    );
  });

  it("encodes counts past one byte and durations below 0.1 ms", () => {
    const bins: Bins = new Map([[0, 1], [binOf(42), 300_000]]);
    expect(decodeBins(encodeBins(bins))).toEqual(bins);
    expect(percentile(new Map([[0, 3]]), 3, 0.5, 0.03)).toBe(0.03);
  });
});
