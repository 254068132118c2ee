import { collectConstructs, constructStack, type Construct } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { diagnostic, type Location } from "./diagnostic.js";
import type { Diagnostic } from "./types.js";

/**
 * Constructs a module made that no export reaches. The compiler finds definitions through exports
 * (and the references they hold), so such a construct is not in the manifest: a deploy removes
 * what it stood for, and its open incidents resolve as "removed". Reported as a warning, not an
 * error: building a family of constructs and exporting a filtered part of it is a legitimate way
 * to write a module, and an error would break it. Whether an id is missing is decided against the
 * whole manifest, after the cached modules' parts are added (see load.ts): a partial load runs
 * only the modules that changed, and a construct one of them dropped may be exported by another.
 */

/** A construct made while `module` loaded that none of the loaded exports reached. */
export interface UnreachedConstruct {
  /** The module that was loading when it was made (whose cache record keeps it). */
  module: string;
  /** The manifest list it would be in. */
  section: string;
  kind: string;
  /** The channel type, for a channel (the hint names its factory). */
  type: string | null;
  id: string;
  file: string;
  line: number;
  column: number | null;
}

/** The manifest list each construct kind goes to; kinds without one (a monitor test) are not definitions. */
const SECTION_OF: Record<string, keyof Manifest> = {
  monitor: "monitors",
  service: "services",
  escalationPolicy: "escalationPolicies",
  schedule: "schedules",
  team: "teams",
  user: "users",
  channel: "channels",
  silence: "silences",
  maintenanceWindow: "silences",
  statusPage: "statusPages",
};

/**
 * Of the constructs made during the load (each with the module loading then), those no export
 * reached and no other dropped construct holds: a dropped monitor is reported, not also the
 * channel made inline in it, which comes back with the monitor once it is exported.
 */
export function unreachedConstructs(
  made: readonly { construct: Construct; module: string }[],
  reached: ReadonlySet<Construct>,
  locate: (stack: string | undefined) => Location | null,
): UnreachedConstruct[] {
  const dropped = made.filter(({ construct }) => !reached.has(construct));
  const held = new Set<Construct>();
  for (const { construct } of dropped) for (const inner of collectConstructs([construct])) if (inner !== construct) held.add(inner);
  const out: UnreachedConstruct[] = [];
  for (const { construct, module } of dropped) {
    const section = SECTION_OF[construct.kind];
    if (held.has(construct) || !section) continue;
    // Made outside the project's own code (a package's default): nowhere to point the author.
    const at = locate(constructStack(construct));
    if (!at?.file) continue;
    const type = (construct as { type?: unknown }).type;
    out.push({ module, section, kind: construct.kind, type: typeof type === "string" ? type : null, id: construct.id, file: at.file, line: at.line ?? 1, column: at.column });
  }
  return out;
}

/** A warning for each dropped construct whose id is in none of the manifest's entries of its list. */
export function unexportedDiagnostics(unreached: readonly UnreachedConstruct[], manifest: Omit<Manifest, "hash">): Diagnostic[] {
  const present = new Set<string>();
  const listed = manifest as unknown as Record<string, unknown>;
  for (const section of new Set(Object.values(SECTION_OF))) {
    const list = listed[section];
    if (Array.isArray(list)) for (const entry of list) present.add(`${section}\0${String((entry as { id?: unknown }).id)}`);
  }
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const c of unreached) {
    const key = `${c.section}\0${c.id}`;
    const place = `${key}\0${c.file}:${c.line}:${c.column}`;
    if (present.has(key) || seen.has(place)) continue;
    seen.add(place);
    out.push(
      diagnostic(
        "warning",
        "WK2008",
        `${describe(c)} "${c.id}" is made here but not exported, so it is not compiled: a deploy removes it if it was deployed, and resolves its open incidents`,
        `export it: \`export const ${variableName(c.id)} = ${factory(c)}(...)\`, or put it in an exported array or object; delete it if it is not wanted`,
        { file: c.file, line: c.line, column: c.column },
      ),
    );
  }
  return out;
}

function describe(c: UnreachedConstruct): string {
  switch (c.kind) {
    case "escalationPolicy":
      return "escalation policy";
    case "maintenanceWindow":
      return "maintenance window";
    case "statusPage":
      return "status page";
    default:
      return c.kind;
  }
}

function factory(c: UnreachedConstruct): string {
  return c.kind === "channel" && c.type ? `channel.${c.type}` : c.kind;
}

/** `checkout-latency` -> `checkoutLatency`, a name the author can paste. */
function variableName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? "").toUpperCase()).replace(/^[^A-Za-z_$]+/, "");
  return name === "" ? "definition" : name[0]!.toLowerCase() + name.slice(1);
}
