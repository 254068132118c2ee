import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * A quorum counts locations: it needs `locations`, and more than their number could never be
 * reached, so the monitor would never fire.
 */
export function quorum(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.monitors.flatMap((m) => {
    if (m.quorum === undefined) return [];
    const count = m.locations?.length ?? 0;
    if (count === 0) {
      return [diagnostic("error", "quorum", `monitor "${m.id}": quorum ${m.quorum} without locations`, 'name where the check runs from, such as locations: ["eu-west", "us-east"]', ctx.locate(m))];
    }
    if (m.quorum > count) {
      return [
        diagnostic(
          "error",
          "quorum",
          `monitor "${m.id}": quorum ${m.quorum} is more than its ${count} location${count === 1 ? "" : "s"} (${m.locations!.join(", ")}); it could never fire`,
          `use a quorum from 1 to ${count}`,
          ctx.locate(m),
        ),
      ];
    }
    return [];
  });
}
