import { showChange } from "./render-common.js";
import { visible } from "../visible-text.js";
import { lineDiff } from "./text-diff.js";
import type { MonitorAction, MonitorChange, PropertyChange, ResourceAction } from "./types.js";

/**
 * What a reader sees under one plan entry. `property` is `path: before -> after`; `source` is a
 * line of a source diff (a code slot or a summary template), `heading` names the text diffed below.
 */
export type DetailLine =
  | { kind: "property"; text: string }
  | { kind: "heading"; text: string }
  | { kind: "source"; op: "same" | "removed" | "added" | "skipped"; text: string };

/** Fields of the manifest that are bookkeeping: `code.*` flags say which exports the bundle has. */
const INTERNAL = /^code(\.|\[|$)/;
/** Strings shown as a source diff rather than `"before" -> "after"`. */
const TEXT_PATHS = new Set(["summary", "runbook", "description"]);

/** Details of a property-level change; a removed or deleted entry is its title line alone. */
export function propertyDetails(action: MonitorAction | ResourceAction, changes: readonly PropertyChange[]): DetailLine[] {
  if (action === "remove" || action === "delete") return [];
  // An import lists what the program declares for the adopted object, as a create does.
  const creating = action === "add" || action === "create" || action === "import";
  const out: DetailLine[] = [];
  for (const change of changes) {
    if (INTERNAL.test(change.path) || change.path === "codeHash") continue;
    // A new entry's unset optional fields say nothing.
    if (creating && (change.after === null || change.after === undefined)) continue;
    if (!creating && isText(change)) {
      out.push({ kind: "heading", text: `${visible(change.path)}:` });
      out.push(...source(typeof change.before === "string" ? change.before : "", typeof change.after === "string" ? change.after : ""));
      continue;
    }
    out.push({ kind: "property", text: showChange(change) });
  }
  return out;
}

/** Details of a monitor: its properties, then the source diff of each function that changed. */
export function monitorDetails(m: MonitorChange): DetailLine[] {
  const out = propertyDetails(m.action, m.changes);
  if (m.action !== "change" || !m.changes.some((c) => c.path === "codeHash")) return out;
  const known = (m.code ?? []).filter((c) => c.before !== undefined || c.after !== undefined);
  if (known.length === 0) {
    out.push({ kind: "property", text: "code: the monitor's functions changed (their source is not available for this base)" });
    return out;
  }
  for (const c of known) {
    const what = c.before === undefined ? "added" : c.after === undefined ? "removed" : "changed";
    out.push({ kind: "heading", text: `${c.slot} (${what}):` });
    out.push(...source(c.before ?? "", c.after ?? ""));
  }
  return out;
}

function isText(change: PropertyChange): boolean {
  const leaf = change.path.split(".").pop() ?? change.path;
  const strings = [change.before, change.after].filter((v) => v !== undefined && v !== null);
  if (strings.length === 0 || !strings.every((v) => typeof v === "string")) return false;
  return TEXT_PATHS.has(leaf) || strings.some((v) => (v as string).includes("\n"));
}

function source(before: string, after: string): DetailLine[] {
  return lineDiff(before, after).map((l) => ({ kind: "source" as const, op: l.op, text: l.text }));
}
