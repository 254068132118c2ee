import { isValidSecretName } from "../../sdk/secret.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries } from "./entries.js";
import { sha256 } from "../compiler/compile-cache.js";
import { unlessClean, type RuleContext } from "./types.js";

/**
 * Every `secret("NAME")` a definition uses is declared in the config's `secrets`, so the runtime
 * can check at start-up that all of them are set, and a typo fails here rather than at 3 a.m.
 */
export function declaredSecrets(ctx: RuleContext): Diagnostic[] {
  const declared = new Set(ctx.config.secrets ?? []);
  const out: Diagnostic[] = [];
  for (const name of declared) {
    if (!isValidSecretName(name)) {
      out.push(
        diagnostic("error", "declared-secrets", `declared secret name "${name}" is not an environment variable name`, "use UPPER_SNAKE_CASE, e.g. PAGERDUTY_ROUTING_PAYMENTS", {
          file: "watchkeeper.config.ts",
          line: 1,
        }),
      );
    }
  }
  // An entry's verdict depends on it and on the declared names.
  const rule = `declared-secrets ${sha256([...declared].sort().join(" "))}`;
  for (const entry of entries(ctx.manifest)) {
    const undeclared = () =>
      secretNames(entry.value)
        .filter((name) => !declared.has(name))
        .map((name) =>
          diagnostic(
            "error",
            "declared-secrets",
            `${entry.noun} "${entry.value.id}" uses secret "${name}", which the config does not declare`,
            `add "${name}" to \`secrets\` in watchkeeper.config.ts (or fix the name)`,
            ctx.locate(entry.value),
          ),
        );
    out.push(...unlessClean(ctx, rule, ctx.hashes?.entry(entry.value), undeclared));
  }
  return out;
}

/** Names of the `{ secret: NAME }` references inside a value, each once, in order. */
export function secretNames(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach(visit);
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === "secret" && typeof record.secret === "string") {
      found.add(record.secret);
      return;
    }
    keys.forEach((k) => visit(record[k]));
  };
  visit(value);
  return [...found];
}
