import type { Channel } from "./constructs/channels.js";
import { isConstruct, type Construct } from "./constructs/definition.js";

/**
 * Every construct reachable from the given values (module exports), each once, in discovery
 * order. References are followed, so a channel used by a monitor is included even when only the
 * monitor is exported. Exports are untrusted values: a key list or property that cannot be read
 * (a Proxy trap or a getter that throws) is passed over, and a construct that holds one is
 * reported when it is synthesized, at its own line.
 */
export function collectConstructs(roots: unknown[]): Construct[] {
  const seen = new Set<object>();
  const out: Construct[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 64 || value === null || typeof value !== "object") return;
    if (seen.has(value)) return;
    seen.add(value);
    if (readable(() => isConstruct(value))) out.push(value as Construct);
    for (const child of childrenOf(value)) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return out;
}

/** The values an object holds, each read on its own: one that throws is left out. */
function childrenOf(value: object): unknown[] {
  if (Array.isArray(value)) {
    const items = readable(() => [...(value as unknown[])]);
    if (items) return items;
  }
  const keys = readable(() => Object.keys(value)) ?? [];
  const children: unknown[] = [];
  for (const key of keys) {
    try {
      children.push((value as Record<string, unknown>)[key]);
    } catch {
      // A getter or a Proxy trap that throws: nothing to follow there.
    }
  }
  return children;
}

/** What `read` returns, or undefined when it throws. */
function readable<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function isChannel(value: Construct): value is Channel {
  return value.kind === "channel";
}
