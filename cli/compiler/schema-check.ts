import { z } from "zod";
import { manifestSchema, type Manifest } from "../../sdk/manifest/schema.js";
import { COLLECTIONS } from "../rules/entries.js";
import { diagnostic, parseSource } from "./diagnostic.js";
import type { Diagnostic } from "./types.js";
import { durationHint } from "./duration-hint.js";
import { valueAt } from "./property-location.js";
import { SECRET_NAME_MAX } from "../../sdk/secret.js";

/** A schema error, with the entry it is about and the field's path below it (for its property's place). */
export interface SchemaFinding {
  diagnostic: Diagnostic;
  entry: { id: string; source: string } | null;
  field: PropertyKey[];
  /** For a declared secret name the schema refuses: the name, to find in the config's `secrets`. */
  secret?: string;
  /** For a manifest setting the config sets: the field's path in `config({ ... })`. */
  configField?: PropertyKey[];
}

/**
 * The config field a manifest setting comes from (sdk/synth.ts): `settings.publicUrl` is
 * `publicUrl`, `settings.runtime.retention.results` is `runtime.retention.results`, and
 * `project.name` is `name`. Null for any other path.
 */
function configFieldOf(path: PropertyKey[]): PropertyKey[] | null {
  const [top, ...rest] = path;
  if (top === "project" && rest[0] === "name") return ["name"];
  if (top === "settings" && rest.length > 0) return rest;
  return null;
}

/**
 * Checks the synthesized manifest against the `watchkeeper.dev/v1` schema. The types catch most
 * mistakes first; this catches what types cannot (ids that are not kebab-case, durations built
 * at run time, values forced through `as any`), pointing at the definition that holds them.
 */
export function schemaDiagnostics(manifest: Manifest, memo?: SchemaMemo): SchemaFinding[] {
  const issues = memo ? issuesByPart(manifest, memo) : issuesOf(manifestSchema.safeParse(manifest));
  return issues.map((issue) => {
    const [collection, index, ...rest] = issue.path;
    const noun = PLACED.find(([key]) => key === collection)?.[1];
    const list = noun !== undefined ? (manifest as unknown as Record<string, unknown>)[String(collection)] : undefined;
    const entry = Array.isArray(list) && typeof index === "number" ? (list[index] as { id: string; source: string } | undefined) : undefined;
    const field = rest.join(".");
    const subject = entry ? `${noun} "${entry.id}"${field ? ` ${field}` : ""}` : issue.path.join(".") || "manifest";
    const pattern = rest.map((p) => (typeof p === "number" ? "*" : String(p))).join(".");
    if (collection === "secrets" && typeof index === "number" && rest.length === 0) return declaredSecretFinding(manifest.secrets[index]);
    const fraction = entry && issue.code === "invalid_type" && issue.expected === "int" ? valueAt(entry, rest) : undefined;
    if (typeof fraction === "number" && Number.isFinite(fraction)) {
      // The SDK types these as `number`: a fraction is not a value forced past them.
      const below = Math.floor(fraction);
      // A schema that says what the whole number counts ("startDelay is whole minutes ... ("2m", not "90s")") keeps its words.
      const own = /expected int/i.test(issue.message) ? null : issue.message;
      return {
        diagnostic: diagnostic(
          "error",
          "WK3001",
          own === null ? `${subject}: expected a whole number, got ${fraction}` : `${subject}: ${own}; got ${fraction}`,
          own === null ? `write a whole number, such as ${below} or ${below + 1} (the SDK's types take any number here, so the compile checks it)` : null,
          parseSource(entry!.source),
        ),
        entry: entry!,
        field: rest,
      };
    }
    const known = KNOWN_ISSUES.find((k) => k.collection === collection && (k.field === field || k.field === pattern) && k.code === issue.code);
    const found = diagnostic(
      "error",
      "WK3001",
      `${subject}: ${known?.message ?? issue.message}`,
      known?.hint ??
        (entry && issue.message.startsWith("expected a duration") ? durationHint(valueAt(entry, rest)) : null) ??
        (entry && field === "id" && issue.message.startsWith("expected a kebab-case id") ? kebabHint(entry.id) : null) ??
        (entry && collection === "monitors" && rest.length === 2 && rest[0] === "labels" && issue.message.includes("is not a label name") ? labelNameHint(String(rest[1])) : null) ??
        (SHAPE_CODES.has(issue.code ?? "") ? FORCED_HINT : VALUE_HINT),
      entry ? parseSource(entry.source) : {},
    );
    const configField = entry ? null : configFieldOf(issue.path);
    if (configField !== null) return { diagnostic: { ...found, file: "watchkeeper.config.ts" }, entry: null, field: [], configField };
    return { diagnostic: found, entry: entry ?? null, field: entry ? rest : [] };
  });
}

/** The lists whose entries a finding is placed at: the rules' collections, and status pages (a list only some manifests have). */
const PLACED: readonly (readonly [string, string])[] = [...COLLECTIONS, ["statusPages", "status page"]];

/**
 * Issues the SDK's types already rule out (a number where a string goes, an unknown key): a value
 * with one got past the type check, so the hint says how. Any other issue (a limit, a format) is
 * about a value the types allow, and blaming a cast nobody wrote would send the author looking
 * for one.
 */
const SHAPE_CODES = new Set(["invalid_type", "invalid_union", "invalid_value", "invalid_key", "invalid_element", "unrecognized_keys"]);
const FORCED_HINT =
  "give the value the shape the message names: the SDK's types rule this one out, so it got past the type check (through `as any`, `as never`, or a value typed `any` such as JSON.parse's result)";
const VALUE_HINT = "change the value as the message says: the SDK's types cannot check this, so the compile does";

/**
 * Schema issues a new author meets often enough to be told in the field's words, with the fix,
 * rather than in the schema's ("Too small: expected array to have >=1 items").
 */
const KNOWN_ISSUES: { collection: string; field: string; code: string; message: string; hint: string }[] = [
  {
    collection: "schedules",
    field: "layers",
    code: "too_small",
    message: "has no layers, so nobody is ever on call on it",
    hint: 'give it at least one layer: layers: [{ start: "2026-01-05T09:00:00", rotation: "1w", users: [alice, bob] }]',
  },
  {
    collection: "schedules",
    field: "layers.*.users",
    code: "too_small",
    message: "a layer with no users, so nobody is on call while it is the top layer",
    hint: "list the people who take turns: users: [alice, bob] (in rotation order), or remove the layer",
  },
];

/**
 * Entries already found valid, by part hash (see load-cache.ts). An entry's verdict is a function
 * of the entry alone, so a warm compile checks only the entries it has not seen; the manifest's
 * own fields are checked every time.
 */
export interface SchemaMemo {
  valid: Set<string>;
  hashOf(entry: object): string | undefined;
  /** Filled in by the check: the hashes of every entry of this manifest that is valid. */
  next: Set<string>;
}

const LISTS = ["monitors", "services", "escalationPolicies", "schedules", "teams", "users", "channels", "silences", "statusPages"] as const;

type Issue = { path: PropertyKey[]; message: string; code?: string; expected?: string };

function issuesOf(result: { success: boolean; error?: { issues: Issue[] } }): Issue[] {
  return result.success ? [] : (result.error?.issues ?? []);
}

/** The same issues as parsing the whole manifest, with each list entry parsed on its own. */
function issuesByPart(manifest: Manifest, memo: SchemaMemo): Issue[] {
  const lists = manifest as unknown as Record<string, unknown>;
  const top: Record<string, unknown> = { ...lists };
  for (const name of LISTS) if (Array.isArray(top[name])) top[name] = [];
  const issues = [...issuesOf(manifestSchema.safeParse(top))];
  for (const name of LISTS) {
    const list = lists[name];
    if (!Array.isArray(list)) continue;
    const element = elementSchema(name);
    list.forEach((entry: unknown, index) => {
      const hash = entry !== null && typeof entry === "object" ? memo.hashOf(entry) : undefined;
      if (hash !== undefined && memo.valid.has(hash)) {
        memo.next.add(hash);
        return;
      }
      const found = issuesOf(element.safeParse(entry));
      if (found.length === 0 && hash !== undefined) memo.next.add(hash);
      for (const issue of found) issues.push({ ...issue, path: [name, index, ...issue.path] });
    });
  }
  return issues;
}

function elementSchema(name: (typeof LISTS)[number]): z.ZodType {
  let schema: z.ZodType = manifestSchema.shape[name];
  if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return (schema as z.ZodArray<z.ZodType>).element;
}

/**
 * A declared secret name that is not an environment variable's, in the config's words. The
 * pipeline places it at the name in the config's `secrets` (placeDeclaredSecrets); it is reported
 * here, not by a rule, so that no rule level can let the runtime be handed a manifest it refuses.
 */
function declaredSecretFinding(name: unknown): SchemaFinding {
  const text = String(name);
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  const rule = `secret names are environment variable names: UPPER_SNAKE_CASE, at most ${SECRET_NAME_MAX} characters`;
  const meant = text.trim().replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^[_0-9]+|_+$/g, "").slice(0, SECRET_NAME_MAX);
  return {
    diagnostic: diagnostic("error", "WK3001", `declared secret name ${JSON.stringify(shown)} is not an environment variable name`, meant !== "" ? `write ${JSON.stringify(meant)} (${rule})` : `${rule}, such as PAGERDUTY_ROUTING_PAYMENTS`, {
      file: "watchkeeper.config.ts",
    }),
    entry: null,
    field: [],
    secret: text,
  };
}

/** The kebab-case id an author most likely meant ("Payments API" -> "payments-api"). */
function kebabHint(id: unknown): string {
  const rule = "ids are lower case letters, digits and dashes, and name the definition in dedup keys and PagerDuty, so pick one and keep it";
  if (typeof id !== "string") return rule;
  const meant = id
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return meant !== "" ? `write id: "${meant}" (${rule})` : rule;
}

/** The label name an author most likely meant ("team name" -> "team_name", "__shard" -> "shard"). */
function labelNameHint(name: string): string {
  const rule = "label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with __, as in Prometheus; silences and summaries ({{labels.<name>}}) use the same name";
  const meant = name
    .replace(/[^a-zA-Z0-9_]+/g, "_")
    .replace(/^_+/, "")
    .replace(/^(?=[0-9])/, "_");
  return meant !== "" && meant !== "_" ? `write "${meant}" (${rule})` : rule;
}
