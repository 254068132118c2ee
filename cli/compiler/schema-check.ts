import { manifestSchema, type Manifest } from "../../sdk/manifest/schema.js";
import { COLLECTIONS } from "../rules/entries.js";
import { diagnostic, parseSource } from "./diagnostic.js";
import type { Diagnostic } from "./types.js";

/**
 * Checks the synthesized manifest against the `watchkeeper.dev/v1` schema. The types catch most
 * mistakes first; this catches what types cannot (ids that are not kebab-case, durations built
 * at run time, values forced through `as any`), pointing at the definition that holds them.
 */
export function schemaDiagnostics(manifest: Manifest): Diagnostic[] {
  const parsed = manifestSchema.safeParse(manifest);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const [collection, index, ...rest] = issue.path;
    const noun = COLLECTIONS.find(([key]) => key === collection)?.[1];
    const entry =
      noun !== undefined && typeof index === "number"
        ? (manifest[collection as (typeof COLLECTIONS)[number][0]][index] as { id: string; source: string } | undefined)
        : undefined;
    const field = rest.join(".");
    const subject = entry ? `${noun} "${entry.id}"${field ? ` ${field}` : ""}` : issue.path.join(".") || "manifest";
    return diagnostic(
      "error",
      "WK3001",
      `${subject}: ${issue.message}`,
      "change the value to what the SDK's types document (your editor shows them)",
      entry ? parseSource(entry.source) : {},
    );
  });
}
