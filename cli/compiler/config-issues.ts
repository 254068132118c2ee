import { z } from "zod";
import { displayNameSchema, retentionSchema, runtimeSettingsSchema, withoutLimits } from "../../sdk/manifest/schema.js";
import { nearIds } from "../near-ids.js";
import { isTimeZone } from "../../sdk/oncall/zoned-time.js";
import { unknownZoneHint } from "../rules/time-zone-names.js";
import { diagnostic } from "./diagnostic.js";
import { propertyPosition, valueAt } from "./property-location.js";
import type { Diagnostic } from "./types.js";

const ruleLevel = z.enum(["error", "warning", "notice", "off"]);

/**
 * The config's shape as the compiler needs it; unknown fields are the `knownFields` rule's. The
 * settings the manifest carries are checked with the manifest's own schemas, every field optional:
 * a value forced past the types (`runtime: { maxSilence: 14 }`) is named here, at its line, rather
 * than as a manifest path without a place or as a crash of synthesis.
 */
export const configSchema = z.looseObject({
  name: z.string().min(1, "the project needs a name"),
  monitors: z.array(z.string().min(1)).optional(),
  policies: z.array(z.string().min(1)).optional(),
  tests: z.array(z.string().min(1)).optional(),
  secrets: z.array(z.string()).optional(),
  defaults: z
    .looseObject({
      timezone: z.string().optional(),
      severity: z.enum(["critical", "error", "warning", "info"]).optional(),
      // What each entry must be is the `defaultChannels` rule's.
      channels: z.array(z.unknown()).optional(),
    })
    .optional(),
  rules: z.record(z.string(), ruleLevel).optional(),
  statusPage: z.looseObject({ title: displayNameSchema.optional() }).optional(),
  publicUrl: z.string().optional(),
  runtime: runtimeSettingsSchema.extend({ retention: retentionSchema.partial().optional() }).partial().optional(),
});

/** Config fields that take a duration: zod's "expected string" says too little about them. */
const DURATION_FIELD = /^runtime\.(maxSilence|webhookMaxAge|retention\.[^.]+)$/;

/**
 * Every field `config({...})` takes, by the path of the object that holds it (ProjectConfig in
 * sdk/constructs/config.ts). A field outside this list is dropped without a word by everything
 * downstream, so `secretz` or `defaults.timezon` would compile into a project that is not the one
 * the author wrote.
 */
const FIELDS: Record<string, readonly string[]> = {
  "": ["name", "monitors", "policies", "tests", "secrets", "defaults", "rules", "statusPage", "publicUrl", "runtime", "load"],
  defaults: ["timezone", "severity", "channels"],
  statusPage: ["title"],
  runtime: ["openReads", "maxSilence", "webhookMaxAge", "retention"],
  "runtime.retention": ["results", "notifications", "silences", "inbound", "resolvedAlerts", "rollups", "minuteRollups"],
  load: ["timeout"],
};

/** A problem with one field of the config, before it is placed in the source. */
interface FieldIssue {
  path: PropertyKey[];
  message: string;
  hint: string;
}

type ConfigRule = (config: Record<string, unknown>) => FieldIssue[];

const GENERIC_HINT = "see the config's fields in docs/compiler.md; your editor lists them inside `config({ ... })`";
const NAME_HINT = 'add name: "my-project" (the plan and the pages show it); write the config as `export default config({ name: "my-project", ... })` (import { config } from "watchkeeper") so your editor lists its fields';
const DURATION_HINT = 'write a duration as a string: a number and a unit (ms, s, m, h, d, w), such as "14d"';

/** The schema's findings, in the field's words, with the nearest valid value for a bad enum value. */
function schemaIssues(config: unknown): FieldIssue[] {
  // Shapes only: a value past a limit (a retention over ten years) is the manifest schema's to
  // report, in the same run as the modules' findings; a config issue ends the compile at discovery.
  const parsed = withoutLimits(() => configSchema.safeParse(config));
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    if (issue.code === "invalid_value") {
      const values = issue.values.map(String);
      const got = valueAt(config, issue.path);
      const near = typeof got === "string" ? nearIds(got, values) : [];
      return {
        path: issue.path,
        message: `${JSON.stringify(got)} is not one of ${values.map((v) => `"${v}"`).join(", ")}`,
        hint: near.length > 0 ? `did you mean "${near[0]}"?` : `set ${field} to one of ${values.map((v) => `"${v}"`).join(", ")}`,
      };
    }
    if (issue.code === "invalid_type") {
      const got = valueAt(config, issue.path);
      // The one field the config must have, left out (a plain object exported, or `config({} as any)`).
      if (got === undefined && field === "name") return { path: issue.path, message: "is missing; the project needs a name", hint: NAME_HINT };
      if (DURATION_FIELD.test(field)) return { path: issue.path, message: `expected a duration such as "30s", "10m" or "14d", got ${describe(got)}`, hint: DURATION_HINT };
      // One glob or one secret name where a list is taken: the list of that one.
      const hint = issue.expected === "array" && typeof got === "string" ? `make it a list: ${field}: [${JSON.stringify(got)}]` : GENERIC_HINT;
      return { path: issue.path, message: `expected ${issue.expected}, got ${describe(got)}`, hint };
    }
    const got = valueAt(config, issue.path);
    if (DURATION_FIELD.test(field)) return { path: issue.path, message: `${issue.message}, got ${describe(got)}`, hint: DURATION_HINT };
    return { path: issue.path, message: issue.message, hint: GENERIC_HINT };
  });
}

/** Fields the config does not have, each named with the nearest field it does have. */
const knownFields: ConfigRule = (config) => {
  const out: FieldIssue[] = [];
  for (const [holder, fields] of Object.entries(FIELDS)) {
    const path = holder === "" ? [] : holder.split(".");
    const value = valueAt(config, path);
    if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
    for (const key of Object.keys(value)) {
      if (fields.includes(key)) continue;
      const near = nearIds(key, [...fields]);
      const where = holder === "" ? "the config" : holder;
      out.push({
        path: [...path, key],
        message: `unknown field "${key}" in ${where}: it is ignored`,
        hint: near.length > 0 ? `did you mean "${near[0]}"?` : `${where} takes ${fields.map((f) => `"${f}"`).join(", ")}`,
      });
    }
  }
  return out;
};

/**
 * Every `defaults.channels` entry is a channel construct (`channel.slack({ ... })`): each monitor
 * notifies them all, and anything else (a channel's id as a string, a monitor) would end the
 * compile in synthesis instead of being named here.
 */
const defaultChannels: ConfigRule = (config) => {
  const channels = valueAt(config, ["defaults", "channels"]);
  if (!Array.isArray(channels)) return [];
  return channels.flatMap((entry, i): FieldIssue[] => {
    const record = entry !== null && typeof entry === "object" && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null;
    if (record && record["kind"] === "channel" && typeof record["id"] === "string") return [];
    const what = record && typeof record["kind"] === "string" ? `a ${record["kind"]}` : describe(entry);
    return [
      {
        path: ["defaults", "channels", i],
        message: `expected a channel, got ${what}`,
        hint: 'list channels made with the channel factories and imported into the config, such as `channels: [oncallSlack]` for `export const oncallSlack = channel.slack({ id: "oncall-slack", ... })`',
      },
    ];
  });
};

/**
 * The module globs stay inside the project: they are read relative to its folder, and a module
 * outside it cannot be imported anyway (WK2007, once per file). `../**` would list every folder
 * beside the project, and `/monitors/...`, written as if from the project's root,
 * a folder of the machine. Refused here, before anything is listed.
 */
const globsInside: ConfigRule = (config) =>
  (["monitors", "policies", "tests"] as const).flatMap((field) => {
    const globs = valueAt(config, [field]);
    if (!Array.isArray(globs)) return [];
    return globs.flatMap((glob, i): FieldIssue[] => {
      if (typeof glob !== "string") return [];
      const pattern = glob.startsWith("!") ? glob.slice(1) : glob;
      const example = field === "tests" ? "monitors/**/*.wktest.ts" : `${field}/**/*.ts`;
      if (/^([\\/]|[a-zA-Z]:)/.test(pattern)) {
        const relative = pattern.replace(/^([a-zA-Z]:)?[\\/]+/, "");
        return [{ path: [field, i], message: `${JSON.stringify(glob)} is an absolute path`, hint: `globs are relative to the project folder: write ${JSON.stringify(relative !== "" ? relative : example)}` }];
      }
      if (!reachesOutside(pattern)) return [];
      return [{ path: [field, i], message: `${JSON.stringify(glob)} reaches outside the project folder`, hint: `globs are relative to the project folder, and only its files are modules: write one such as ${JSON.stringify(example)}` }];
    });
  });

/** Whether a relative glob's `..` segments climb above the folder it is read from. */
function reachesOutside(pattern: string): boolean {
  let depth = 0;
  for (const segment of pattern.split(/[\\/]/)) {
    if (segment === "..") depth -= 1;
    else if (segment !== "." && segment !== "") depth += 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * `defaults.timezone` is the zone of every cron schedule that names none: a zone that does not
 * exist is named here, at the config's line, and not later at each monitor that takes it (or not
 * at all while none does).
 */
const defaultTimeZone: ConfigRule = (config) => {
  const zone = valueAt(config, ["defaults", "timezone"]);
  if (typeof zone !== "string" || isTimeZone(zone)) return [];
  return [{ path: ["defaults", "timezone"], message: `unknown time zone ${JSON.stringify(zone)}`, hint: unknownZoneHint(zone) }];
};

/** The named checks after the schema, in order. */
const CONFIG_RULES: readonly ConfigRule[] = [knownFields, defaultChannels, globsInside, defaultTimeZone];

/**
 * Problems with the config's fields as diagnostics at each field's line and column in
 * `source` (the config file's text): the schema first, then the named rules. Each names the field,
 * and where a near spelling exists (an unknown field, an enum value), the one meant.
 */
export async function configIssues(config: unknown, source: string, file: string): Promise<Diagnostic[]> {
  const record = config !== null && typeof config === "object" ? (config as Record<string, unknown>) : {};
  const schema = schemaIssues(config);
  const issues = [...schema, ...(config !== null && typeof config === "object" ? CONFIG_RULES.flatMap((rule) => rule(record)) : [])];
  if (issues.length === 0) return [];
  const { ts } = await import("ts-morph");
  const call = configCallLine(source);
  return issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    const at = call === null ? null : propertyPosition(ts, file, source, { line: call, column: null }, issue.path);
    return diagnostic("error", "WK1002", `config${field ? ` ${field}` : ""}: ${issue.message}`, issue.hint, { file, line: at?.line ?? call ?? 1, column: at?.column ?? 1 });
  });
}

/** The line of the `config(` call the default export makes, or null. */
function configCallLine(source: string): number | null {
  const index = source.search(/\bconfig\s*\(/);
  return index < 0 ? null : source.slice(0, index).split("\n").length;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing (the field is missing)";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
