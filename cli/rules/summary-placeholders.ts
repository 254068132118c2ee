import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { nearIds } from "../near-ids.js";
import type { RuleContext } from "./types.js";

/** What a summary template fills in (runtime/evaluate/summary.ts); `labels.<name>` besides. */
export const SUMMARY_PLACEHOLDERS = ["name", "id", "severity", "value", "message"];

/** Placeholders as the runtime finds them: `{{ key }}` with word characters, dots and dashes. */
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/**
 * A placeholder the runtime does not know is sent as written: `{{nmae}} is down` reaches the
 * person on call with the braces in it. A warning with the nearest placeholder, at the monitor.
 */
export function summaryPlaceholders(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.monitors.flatMap((m) => {
    if (!m.summary || m.code.summary) return [];
    const unknown = [...new Set([...m.summary.matchAll(PLACEHOLDER)].map((x) => x[1]!))].filter((key) => !SUMMARY_PLACEHOLDERS.includes(key) && !/^labels\.[\w-]+$/.test(key));
    return unknown.map((key) => {
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
  });
}
