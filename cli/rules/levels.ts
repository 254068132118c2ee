import type { RuleLevel } from "../../sdk/index.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { nearIds } from "../near-ids.js";

/**
 * Applies the config's `rules: { name: level }`: "off" drops a rule's findings, any other level
 * replaces their severity. Rule names the compiler does not know are reported.
 */
export function applyLevels(
  findings: Diagnostic[],
  levels: Record<string, RuleLevel> | undefined,
  known: readonly string[],
  configFile: string,
  /** The config's source, to point at the rule's own line. */
  configSource?: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(levels ?? {})) {
    if (!known.includes(name)) {
      out.push(
        diagnostic("warning", "WK1005", `unknown rule "${name}" in config.rules`, nearHint(name, known), { file: configFile, line: lineOfKey(configSource, name) }),
      );
    }
  }
  for (const finding of findings) {
    const level = levels?.[finding.code];
    if (level === "off") continue;
    out.push(level === undefined ? finding : { ...finding, severity: level });
  }
  return out;
}

function nearHint(name: string, known: readonly string[]): string {
  const near = nearIds(name, [...known]);
  return near.length > 0 ? `did you mean "${near[0]}"? Known rules: ${known.join(", ")}` : `known rules: ${known.join(", ")}`;
}

/** The line where `name` is written as a key (quoted or not), or 1. */
function lineOfKey(source: string | undefined, name: string): number {
  if (source === undefined) return 1;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const index = source.search(new RegExp(`(["'\`]?)${escaped}\\1\\s*:`));
  return index < 0 ? 1 : source.slice(0, index).split("\n").length;
}
