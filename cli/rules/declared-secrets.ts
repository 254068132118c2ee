import { reservedSecretProblem } from "../../sdk/reserved-secrets.js";
import { isValidSecretName, SECRET_NAME_MAX } from "../../sdk/secret.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries } from "./entries.js";
import { sha256 } from "../compiler/compile-cache.js";
import type { RuleContext } from "./types.js";
import type { Location } from "../compiler/diagnostic.js";

/**
 * Every `secret("NAME")` a definition uses is declared in the config's `secrets`, so the runtime
 * can check at start-up that all of them are set, and a typo fails here rather than at 3 a.m.
 * A declared name is an environment variable's, and not one the runtime keeps for itself: its API
 * token, its other secrets and the variables it and Node are configured by.
 */
export function declaredSecrets(ctx: RuleContext): Diagnostic[] {
  const declared = new Set(ctx.config.secrets ?? []);
  const out: Diagnostic[] = [];
  const atConfig = { file: "watchkeeper.config.ts", line: configLine(ctx, "secrets") };
  for (const name of declared) {
    // A name that is not an environment variable's is the manifest schema's finding (WK3001), at its place.
    if (typeof name !== "string" || !isValidSecretName(name)) continue;
    const reserved = reservedSecretProblem(name);
    if (reserved) {
      out.push(
        // Declaring it alone is harmless (older projects did, for the API token): a warning. Any
        // definition that references it is refused by the manifest's schema, at its own line.
        diagnostic(
          "warning",
          "declared-secrets",
          `declared secret "${name}" cannot be a project's secret: ${reserved}; no monitor or channel may reference it`,
          `remove "${name}" from \`secrets\` in watchkeeper.config.ts and give the project's own credential a name of its own, such as PAYMENTS_API_TOKEN (the runtime reads its own secrets without a declaration)`,
          atConfig,
        ),
      );
    }
  }
  // An entry's verdict depends on it and on the declared names.
  const rule = `declared-secrets ${sha256([...declared].sort().join(" "))}`;
  // One finding per undeclared name, at its first use, naming every place: a secret shared by
  // twenty monitors is one fix (one line in the config), not twenty errors to read.
  const uses = new Map<string, { what: string; at: Location }[]>();
  for (const entry of entries(ctx.manifest)) {
    const input = ctx.hashes?.entry(entry.value);
    if (input !== undefined && ctx.memo?.clean(rule, input)) continue;
    const missing = secretNames(entry.value).filter((name) => !declared.has(name));
    if (missing.length === 0) {
      if (input !== undefined) ctx.memo?.remember(rule, input);
      continue;
    }
    const at = ctx.locate(entry.value);
    for (const name of missing) {
      const list = uses.get(name) ?? [];
      list.push({ what: `${entry.noun} "${entry.value.id}"`, at });
      uses.set(name, list);
    }
  }
  for (const [name, places] of uses) {
    places.sort((a, b) => (a.at.file ?? "").localeCompare(b.at.file ?? "") || (a.at.line ?? 0) - (b.at.line ?? 0) || (a.at.column ?? 0) - (b.at.column ?? 0));
    const where = (p: { what: string; at: Location }) => `${p.what} (${p.at.file ?? "?"}:${p.at.line ?? "?"})`;
    const users = places.length === 1 ? places[0]!.what : `${places.length} definitions: ${places.map(where).join(", ")}`;
    out.push(
      diagnostic(
        "error",
        "declared-secrets",
        `secret "${name}" is not declared in the config, and is used by ${users}`,
        `add "${name}" to \`secrets\` in watchkeeper.config.ts (or fix the name${places.length > 1 ? " in each place" : ""})`,
        places[0]!.at,
      ),
    );
  }
  return out;
}

/** The line of the config that sets `field`, or 1 when the config's source is not at hand. */
function configLine(ctx: RuleContext, field: string): number {
  const text = ctx.sources.get("watchkeeper.config.ts");
  if (text === undefined) return 1;
  const index = text.search(new RegExp(`\\b${field}\\s*:`));
  return index < 0 ? 1 : text.slice(0, index).split("\n").length;
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
