import type { Channel } from "./constructs/channels.js";
import { isConstruct, type Construct } from "./constructs/definition.js";

/**
 * Every construct reachable from the given values (module exports), each once, in discovery
 * order. References are followed, so a channel used by a monitor is included even when only the
 * monitor is exported.
 */
export function collectConstructs(roots: unknown[]): Construct[] {
  const seen = new Set<object>();
  const out: Construct[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 64 || value === null || typeof value !== "object") return;
    if (seen.has(value)) return;
    seen.add(value);
    if (isConstruct(value)) out.push(value);
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return out;
}

export function isChannel(value: Construct): value is Channel {
  return value.kind === "channel";
}
