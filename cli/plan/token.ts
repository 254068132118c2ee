import { createHash } from "node:crypto";

/** Stands for "nothing deployed yet" in the plan token. */
const EMPTY_BASE = "empty";

/**
 * The plan token: a hash of the base and target manifest hashes. `wk deploy --plan-token` recomputes
 * it from what is deployed and what it compiled, and refuses when either side moved.
 */
export function planToken(baseHash: string | null, targetHash: string): string {
  const digest = createHash("sha256").update(`watchkeeper-plan\n${baseHash ?? EMPTY_BASE}\n${targetHash}\n`).digest("hex");
  return `wkp_${digest.slice(0, 32)}`;
}
