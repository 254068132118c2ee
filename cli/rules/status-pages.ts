import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * A status page names monitors of this project, each once, in groups that show something: a
 * page that names a monitor that does not exist would show customers a blank line forever, and
 * two pages with one id would be served as one.
 */
export function statusPages(ctx: RuleContext): Diagnostic[] {
  const pages = ctx.manifest.statusPages ?? [];
  const monitors = new Set(ctx.manifest.monitors.map((m) => m.id));
  const out: Diagnostic[] = [];
  const seenIds = new Map<string, string>();
  for (const page of pages) {
    const at = ctx.locate(page);
    const first = seenIds.get(page.id);
    if (first !== undefined) out.push(diagnostic("error", "status-pages", `status page "${page.id}" is defined twice (first at ${first})`, "give each statusPage() its own id", at));
    else seenIds.set(page.id, page.source);
    if (page.groups.length === 0) out.push(diagnostic("error", "status-pages", `status page "${page.id}" has no groups`, 'add groups: [{ name: "API", monitors: [apiMonitor] }]', at));
    const listed = new Set<string>();
    for (const group of page.groups) {
      if (group.monitors.length === 0) out.push(diagnostic("warning", "status-pages", `status page "${page.id}": group "${group.name}" names no monitor`, "add the monitors behind it, or remove the group", at));
      for (const id of group.monitors) {
        if (!monitors.has(id)) {
          out.push(diagnostic("error", "status-pages", `status page "${page.id}": group "${group.name}" names monitor "${id}", which the project does not define`, "pass the monitor() value itself (imported from its module), not its id", at));
        } else if (listed.has(id)) {
          out.push(diagnostic("warning", "status-pages", `status page "${page.id}" shows monitor "${id}" more than once`, "list each monitor in one group", at));
        }
        listed.add(id);
      }
    }
  }
  return out;
}
