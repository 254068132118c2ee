import type { Threshold } from "../../../sdk/manifest/schema.js";

/** True when `value op threshold.value` holds. */
export function holds(value: number, threshold: Threshold): boolean {
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
      throw new Error(`unknown comparison ${String(never)}`);
    }
  }
}
