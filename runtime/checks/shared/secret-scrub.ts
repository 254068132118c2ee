import type { CheckResult } from "../../../sdk/result.js";

const REDACTED = "[redacted]";
/** Values this short would blank out ordinary words; a secret that short is not one anyone relies on. */
const MIN_SCRUB_LENGTH = 4;

/** Wraps a secret reader and remembers every value it handed out, so outputs can be scrubbed of them. */
export function trackSecrets(read: (name: string) => string | undefined): {
  secret: (name: string) => string | undefined;
  values: () => string[];
} {
  const seen = new Set<string>();
  return {
    secret(name) {
      const value = read(name);
      if (value !== undefined && value.length >= MIN_SCRUB_LENGTH) seen.add(value);
      return value;
    },
    values: () => [...seen],
  };
}

/** Replaces every occurrence of the given secret values in a string. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const value of secrets) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
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
