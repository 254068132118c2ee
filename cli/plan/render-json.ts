import { canonicalJson } from "../../sdk/manifest/index.js";
import type { Plan } from "./types.js";

/** The plan as JSON: keys sorted, the shape documented in docs/plan-and-deploy.md. */
export function renderJson(plan: Plan): string {
  return canonicalJson(plan, 2) + "\n";
}
