import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries, type Entry } from "./entries.js";
import type { RuleContext } from "./types.js";

/**
 * `previousIds` must name ids that are gone: an id still defined (of the same kind) is not a
 * rename, the definition's own id is a typo, and an old id claimed by two definitions cannot move
 * to both. Each would make the plan, Pulumi's aliases and the runtime disagree about who inherits.
 */
export function previousIds(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const all = entries(ctx.manifest);
  const live = new Map(all.map((e) => [`${e.collection}\u0000${e.value.id}`, e]));
  const claimed = new Map<string, Entry>();
  for (const entry of all) {
    const history = (entry.value as { previousIds?: string[] }).previousIds ?? [];
    const what = `${entry.noun} "${entry.value.id}"`;
    for (const old of history) {
      const at = ctx.locate(entry.value);
      if (old === entry.value.id) {
        out.push(diagnostic("error", "previous-ids", `${what} lists its own id in previousIds`, "list only ids the definition had before; remove this one", at));
        continue;
      }
      const key = `${entry.collection}\u0000${old}`;
      const holder = live.get(key);
      if (holder) {
        out.push(
          diagnostic(
            "error",
            "previous-ids",
            `${what} lists previous id "${old}", but ${holder.noun} "${old}" is still defined at ${holder.value.source || "an unknown place"}`,
            "a rename removes the old definition; delete or rename the other one, or drop this entry",
            at,
          ),
        );
        continue;
      }
      const first = claimed.get(key);
      if (first) {
        out.push(
          diagnostic(
            "error",
            "previous-ids",
            `${what} and ${first.noun} "${first.value.id}" (${first.value.source || "an unknown place"}) both list previous id "${old}"`,
            "an old id moves to one definition only; keep it on the one that inherits its history",
            at,
          ),
        );
        continue;
      }
      claimed.set(key, entry);
    }
  }
  return out;
}
