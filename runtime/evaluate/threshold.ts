import type { Threshold } from "../../sdk/manifest/schema.js";

/** True when `value op threshold` holds; a monitor's threshold states when to alert (PromQL style: `latency > 500`). */
export function breaches(value: number, threshold: Threshold): boolean {
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
