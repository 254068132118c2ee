import { canonicalJson } from "../../sdk/manifest/index.js";
import type { Plan } from "./types.js";
import { visibleJson } from "../visible-text.js";

/** The plan as JSON: keys sorted, the shape documented in docs/plan-and-deploy.md; controls in the author's text escaped (`visibleJson`). */
export function renderJson(plan: Plan): string {
  return visibleJson(canonicalJson(plan, 2)) + "\n";
}
