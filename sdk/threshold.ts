import type { Threshold } from "./manifest/schema.js";

/**
 * True when `value op threshold.value` holds. One definition for every place a threshold is read:
 * a monitor's threshold (alert when it holds, PromQL style) and HTTP JSON assertions (must hold).
 * IEEE 754 comparisons, exactly as PromQL's (Go float64): every comparison with NaN is false except
 * `!=`, +Inf is greater than every number and -Inf smaller. Do not special-case NaN here: a
 * Prometheus alerting rule `x > 5` does not fire on NaN, and `x != 5` does.
 */
export function thresholdHolds(value: number, threshold: Threshold): boolean {
  switch (threshold.op) {
    case ">":
      return value > threshold.value;
    case ">=":
      return value >= threshold.value;
    case "<":
      return value < threshold.value;
    case "<=":
      return value <= threshold.value;
    case "==":
      return value === threshold.value;
    case "!=":
      return value !== threshold.value;
    default: {
      const never: never = threshold.op;
      throw new Error(`unknown threshold operator ${String(never)}`);
    }
  }
}
