import path from "node:path";
import * as esbuild from "esbuild";
import { synthesize, type Construct } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { diagnostic, type Location } from "./diagnostic.js";
import type { Discovery } from "./discover.js";
import { baseBuildOptions, normalizeModuleComments } from "./esbuild-options.js";
import { buildFailureDiagnostics } from "./evaluate.js";
import type { LoadedProject } from "./load.js";
import { relativePath, type SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";

/** The manifest without its hash (validated before it is sealed). */
export function synthesizeManifest(loaded: LoadedProject): { manifest: Omit<Manifest, "hash"> | null; diagnostics: Diagnostic[] } {
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
 * monitors.mjs: one ESM bundle exporting, per monitor id, the functions the monitor carries.
 * Deterministic: modules in sorted order, ids sorted, no source map, no absolute paths.
 */
export async function bundleMonitors(projectDir: string, discovery: Discovery, sdk: SdkLocation): Promise<MonitorBundle> {
  const spec = (file: string) => JSON.stringify("./" + relativePath(projectDir, file));
  const names = discovery.modules.map((_, i) => `m${i}`);
  const entry = [
    `import { collectConstructs, monitorCode } from "watchkeeper";`,
    `import config from ${spec(discovery.configFile)};`,
    ...discovery.modules.map((f, i) => `import * as m${i} from ${spec(f)};`),
    "const monitors = collectConstructs([config" + names.map((n) => `, ${n}`).join("") + '])',
    '  .filter((c) => c.kind === "monitor")',
    "  .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));",
    "const code = {};",
    "for (const m of monitors) code[m.id] = monitorCode(m);",
    "export default code;",
  ].join("\n");
  try {
    const result = await esbuild.build({
      ...baseBuildOptions(projectDir, sdk),
      stdin: { contents: entry, resolveDir: projectDir, sourcefile: "watchkeeper-monitors-entry.js", loader: "js" },
      outfile: path.join(projectDir, "monitors.mjs"),
      sourcemap: false,
    });
    return { ok: true, text: normalizeModuleComments(result.outputFiles![0]!.text, result.metafile!, projectDir, sdk) };
  } catch (error) {
    const diagnostics = buildFailureDiagnostics(error);
    if (diagnostics) return { ok: false, diagnostics };
    throw error;
  }
}
