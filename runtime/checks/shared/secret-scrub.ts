import type { CheckResult } from "../../../sdk/result.js";
import { MIN_SECRET_LENGTH, redact } from "../../text/redact.js";

/** Wraps a secret reader and remembers every value it handed out, so outputs can be scrubbed of them. */
export function trackSecrets(read: (name: string) => string | undefined): {
  secret: (name: string) => string | undefined;
  values: () => string[];
} {
  // Most checks read no secret: the set is made on the first one.
  let seen: Set<string> | null = null;
  return {
    secret(name) {
      const value = read(name);
      if (value !== undefined && value.length >= MIN_SECRET_LENGTH) (seen ??= new Set()).add(value);
      return value;
    },
    values: () => (seen === null ? NONE : [...seen]),
  };
}

// Frozen: a caller that pushed to it would throw instead of leaking a value into every check.
const NONE = Object.freeze([]) as unknown as string[];

/**
 * Replaces every occurrence of the given secret values in a string, and the head of one that a
 * runner's own cut left before a `…` marker (see redact()).
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 ? text : redact(text, secrets);
}

/** Deep copy of a JSON-like value with secret values replaced in every string (keys included). */
export function scrubValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === "string") return scrubText(value, secrets);
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[scrubText(k, secrets)] = scrubValue(v, secrets, depth + 1);
  return out;
}

/** A result with secret values removed from its message, labels and details. */
export function scrubResult(result: CheckResult, secrets: readonly string[]): CheckResult {
  if (secrets.length === 0) return result;
  return {
    ...result,
    message: scrubText(result.message, secrets),
    labels: scrubValue(result.labels, secrets) as Record<string, string>,
    details: scrubValue(result.details, secrets) as Record<string, unknown>,
  };
}
