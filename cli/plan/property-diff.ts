import type { PropertyChange } from "./types.js";
import { maskCredentials } from "../rules/no-secret-literals.js";

/**
 * The leaves that differ between two JSON values, with their paths. Arrays compare by position:
 * a schedule layer or an escalation rule is positional in PagerDuty too.
 */
export function diffValues(before: unknown, after: unknown, path = ""): PropertyChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], join(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    const out: PropertyChange[] = [];
    for (let i = 0; i < length; i++) out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  if (before === undefined && after === undefined) return [];
  if (sameLeaf(before, after)) return [];
  // An object or array appearing or vanishing is reported leaf by leaf, so each property shows.
  if (before === undefined && isContainer(after)) return diffValues(emptyLike(after), after, path);
  if (after === undefined && isContainer(before)) return diffValues(before, emptyLike(before), path);
  const change: PropertyChange = { path: path || "(value)" };
  // A credential-looking value (a base may hold the token the change removes) is shown cut.
  if (before !== undefined) change.before = typeof before === "string" ? maskCredentials(before, path) : before;
  if (after !== undefined) change.after = typeof after === "string" ? maskCredentials(after, path) : after;
  return [change];
}

/** The top-level property a change path belongs to (`layers[0].users` -> `layers`). */
export function topProperty(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isContainer(value: unknown): boolean {
  return value !== null && typeof value === "object";
}

function emptyLike(value: unknown): unknown {
  return Array.isArray(value) ? [] : {};
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Empty containers on both sides, or containers against leaves, compare structurally.
  return JSON.stringify(a) === JSON.stringify(b);
}
