import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries, type Entry } from "./entries.js";
import type { RuleContext } from "./types.js";

/** PagerDuty object ids: "P" and upper-case letters or digits (e.g. PABC123). */
const PAGERDUTY_ID = /^P[A-Z0-9]{6,}$/;

/**
 * What can be checked offline about an adopted object's `pagerdutyId`. PagerDuty ids do not say
 * what they name, so an id of the wrong type (a schedule's id on a service) is only found when the
 * provider looks it up at deploy, where the import fails with the provider's "not found" error and
 * nothing is created. Offline: the id's shape, and one id adopted twice, which means at least one
 * definition names the wrong object (two of the same kind would fight over one object; two of
 * different kinds cannot both be right).
 */
export function pagerdutyIds(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byId = new Map<string, Entry[]>();
  for (const entry of entries(ctx.manifest)) {
    const id = (entry.value as { pagerdutyId?: string }).pagerdutyId;
    if (id === undefined) continue;
    if (PAGERDUTY_ID.test(id)) {
      byId.set(id, [...(byId.get(id) ?? []), entry]);
      continue;
    }
    out.push(
      diagnostic(
        "error",
        "pagerduty-ids",
        `${entry.noun} "${entry.value.id}": pagerdutyId ${JSON.stringify(id)} is not a PagerDuty id`,
        "use the id from the object's PagerDuty URL, e.g. PABC123 in /service-directory/PABC123 (not its name)",
        ctx.locate(entry.value),
      ),
    );
  }
  // Which of the claims is wrong cannot be told offline, so every one of them is reported.
  for (const [id, group] of byId) {
    if (group.length < 2) continue;
    for (const entry of group) {
      const others = group.filter((e) => e !== entry);
      const kinds = others.some((e) => e.collection !== entry.collection) ? "; objects of different kinds cannot share an id, so one of them names the wrong type" : "";
      out.push(
        diagnostic(
          "error",
          "pagerduty-ids",
          `${entry.noun} "${entry.value.id}" adopts ${id}, which ${others.map((e) => `${e.noun} "${e.value.id}" (${e.value.source || "an unknown place"})`).join(" and ")} also adopts${kinds}`,
          "each PagerDuty object is adopted by one definition; check in PagerDuty which one the id belongs to",
          ctx.locate(entry.value),
        ),
      );
    }
  }
  return out;
}
