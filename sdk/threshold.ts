import type { Threshold } from "./manifest/schema.js";

/**
 * True when `value op threshold.value` holds. One definition for every place a threshold is read:
 * a monitor's threshold (alert when it holds, PromQL style) and HTTP JSON assertions (must hold).
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
