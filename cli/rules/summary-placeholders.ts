import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { nearIds } from "../near-ids.js";
import type { RuleContext } from "./types.js";

/** What a summary template fills in (runtime/evaluate/summary.ts); `labels.<name>` besides. */
export const SUMMARY_PLACEHOLDERS = ["name", "id", "severity", "value", "message"];

/** Placeholders as the runtime finds them: `{{ key }}` with word characters, dots and dashes. */
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/**
 * What is left of a template once its placeholders are taken out and still looks like one: braces
 * not two on each side (`{{name}`, `{message}}`, `{{ value`) or JavaScript's `${name}` in a plain
 * string. A single-braced word that is no placeholder (`{json}`) is taken to be meant as written.
 */
const MALFORMED = /\$?\{+\s*[\w.-]*\s*\}*|[\w.-]*\s*\}+/g;

function isPlaceholder(key: string): boolean {
  return SUMMARY_PLACEHOLDERS.includes(key) || /^labels\.[\w-]+$/.test(key);
}

/**
 * A placeholder the runtime does not know is sent as written: `{{nmae}} is down` reaches the
 * person on call with the braces in it. A warning with the nearest placeholder, at the monitor.
 */
export function summaryPlaceholders(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.monitors.flatMap((m) => {
    if (!m.summary || m.code.summary) return [];
    const unknown = [...new Set([...m.summary.matchAll(PLACEHOLDER)].map((x) => x[1]!))].filter((key) => !isPlaceholder(key));
    const found = unknown.map((key) => {
      // `{{lables.instance}}`, `{{label.instance}}`: a label was meant.
      const dotted = /^[\w-]+\.([\w-]+)$/.exec(key);
      const near = dotted ? [`labels.${dotted[1]}`] : nearIds(key, SUMMARY_PLACEHOLDERS);
      return diagnostic(
        "warning",
        "summary-placeholders",
        `monitor "${m.id}": its summary's {{${key}}} is not a placeholder, so it is sent as written`,
        `${near.length > 0 ? `did you mean {{${near[0]}}}? ` : ""}placeholders are {{name}}, {{id}}, {{severity}}, {{value}}, {{message}} and {{labels.<name>}}`,
        ctx.locate(m),
      );
    });
    return [...found, ...malformed(m.summary).map(({ text, key }) =>
      diagnostic(
        "warning",
        "summary-placeholders",
        `monitor "${m.id}": its summary's ${JSON.stringify(text)} is not a placeholder (two braces on each side), so it is sent as written`,
        `write {{${isPlaceholder(key) ? key : (nearIds(key, SUMMARY_PLACEHOLDERS)[0] ?? key)}}}; placeholders are {{name}}, {{id}}, {{severity}}, {{value}}, {{message}} and {{labels.<name>}}`,
        ctx.locate(m),
      ),
    )];
  });
}

/** The placeholders of a template written with the wrong braces, each once, with the key inside. */
function malformed(summary: string): Array<{ text: string; key: string }> {
  const rest = summary.replace(PLACEHOLDER, " ");
  const seen = new Set<string>();
  const out: Array<{ text: string; key: string }> = [];
  for (const match of rest.matchAll(MALFORMED)) {
    const text = match[0].trim();
    const key = text.replace(/[${}\s]/g, "");
    if (key === "" || seen.has(text)) continue;
    // `{json}` and `a}` are text; only a doubled brace, or a placeholder's word in any braces, was meant as one.
    if (!isPlaceholder(key) && !/\{\{|\}\}/.test(text)) continue;
    seen.add(text);
    out.push({ text, key });
  }
  return out;
}
