import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries, type Entry } from "./entries.js";
import { sha256 } from "../compiler/compile-cache.js";
import { unlessClean, type RuleContext } from "./types.js";

/** `process.env`, `process["env"]`, `const { env } = process`, `import { env } from "node:process"`. */
const ENV_READS: RegExp[] = [
  /\bprocess\s*\??\.\s*env\b/g,
  /\bprocess\s*\??\.?\s*\[\s*["'`]env["'`]\s*\]/g,
  /\{[^}]*\benv\b[^}]*\}\s*=\s*(?:globalThis\s*\.\s*)?process\b/g,
  /\bimport\s*\{[^}]*\benv\b[^}]*\}\s*from\s*["'](?:node:)?process["']/g,
];

const COMMENT_LINE = /^\s*(?:\/\/|\*|\/\*)/;

/**
 * Modules run at compile time, in a sandbox whose environment holds only placeholders: a value
 * read from `process.env` there is never the value the runtime has. Secrets go through
 * `secret("NAME")`, which the runtime resolves. Reads are found in the sources and, however they
 * were written, by a declared secret's placeholder ending up in a definition.
 */
export function noProcessEnv(ctx: RuleContext): Diagnostic[] {
  return [...sourceReads(ctx), ...placeholders(ctx)];
}

function placeholders(ctx: RuleContext): Diagnostic[] {
  const secrets = ctx.config.secrets ?? [];
  if (secrets.length === 0) return [];
  const out: Diagnostic[] = [];
  // An entry's verdict depends on it and on the declared names.
  const rule = `no-process-env/entry ${sha256(secrets.join(" "))}`;
  for (const entry of entries(ctx.manifest)) {
    out.push(...unlessClean(ctx, rule, ctx.hashes?.entry(entry.value), () => placeholdersIn(ctx, entry, secrets)));
  }
  return out;
}

function placeholdersIn(ctx: RuleContext, entry: Entry, secrets: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const text = JSON.stringify(entry.value);
  // Nearly every entry holds no placeholder at all: one search for it, not one per secret.
  if (!text.includes("PLACEHOLDER_")) return out;
  for (const name of secrets) {
    if (!text.includes(`PLACEHOLDER_${name}`)) continue;
    out.push(
      diagnostic(
          "error",
          "no-process-env",
        `${entry.noun} "${entry.value.id}" holds secret ${name} read from the environment at compile time, where it is only a placeholder`,
        `use secret("${name}") so the runtime resolves the value`,
        ctx.locate(entry.value),
      ),
    );
  }
  return out;
}

function sourceReads(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [file, source] of [...ctx.sources].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(...unlessClean(ctx, "no-process-env/source", ctx.hashes?.source(file), () => readsIn(file, source)));
  }
  return out;
}

function readsIn(file: string, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!source.includes("env")) return out;
  source.split("\n").forEach((text, i) => {
    if (COMMENT_LINE.test(text)) return;
    const columns = new Set<number>();
    for (const re of ENV_READS) for (const m of text.matchAll(re)) columns.add(m.index + 1);
    const column = Math.min(...columns);
    if (columns.size === 0) return;
    out.push(
      diagnostic(
        "error",
        "no-process-env",
        "this module reads the environment at compile time; modules load in a sandbox where every variable is missing or a placeholder",
        'declare the name in `secrets` in watchkeeper.config.ts and use secret("NAME"); for other settings, write the value into the module',
        { file, line: i + 1, column },
      ),
    );
  });
  return out;
}
