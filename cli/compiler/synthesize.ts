import type { Discovery } from "./discover.js";
import { relativePath } from "./paths.js";
import type { Diagnostic } from "./types.js";

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
