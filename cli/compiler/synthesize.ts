import { synthesize, type Construct } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { diagnostic, type Location } from "./diagnostic.js";
import type { Discovery } from "./discover.js";
import type { LiveProject } from "./sandbox-child.js";
import { relativePath } from "./paths.js";
import type { Diagnostic } from "./types.js";

/** The manifest without its hash (validated before it is sealed). */
export function synthesizeManifest(loaded: LiveProject): { manifest: Omit<Manifest, "hash"> | null; diagnostics: Diagnostic[] } {
  const sourceOf = (c: Construct) => {
    const at: Location | undefined = loaded.locations.get(c);
    return at?.file ? `${at.file}:${at.line ?? 1}` : "unknown";
  };
  try {
    return { manifest: synthesize({ config: loaded.config, constructs: loaded.constructs, sourceOf }), diagnostics: [] };
  } catch (error) {
    // Types normally make this unreachable; values forced past them (`as any`) land here.
    return {
      manifest: null,
      diagnostics: [
        diagnostic(
          "error",
          "WK4001",
          `a definition holds a value the SDK cannot read: ${(error as Error).message}`,
          "look for values forced past the types (`as any`, `as unknown as`) and give them their documented shape",
        ),
      ],
    };
  }
}

export type MonitorBundle = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/**
 * The entry of monitors.mjs: collects the project's monitors and exports, per monitor id, the
 * functions it carries. Modules in sorted order and ids sorted, so the bundle is deterministic.
 */
export function monitorsEntry(projectDir: string, discovery: Pick<Discovery, "configFile" | "modules">): string {
  const spec = (file: string) => JSON.stringify("./" + relativePath(projectDir, file));
  const names = discovery.modules.map((_, i) => `m${i}`);
  return [
    `import { collectConstructs, monitorCode } from "watchkeeper";`,
    `import config from ${spec(discovery.configFile)};`,
    ...discovery.modules.map((f, i) => `import * as m${i} from ${spec(f)};`),
    "const monitors = collectConstructs([config" + names.map((n) => `, ${n}`).join("") + "])",
    '  .filter((c) => c.kind === "monitor")',
    "  .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));",
    "const code = {};",
    "for (const m of monitors) code[m.id] = monitorCode(m);",
    "export default code;",
  ].join("\n");
}
