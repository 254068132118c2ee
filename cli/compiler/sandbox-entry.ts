import path from "node:path";
import { fileURLToPath } from "node:url";
import { relativePath } from "./paths.js";

/**
 * The loader bundled into every load bundle: `.ts` when the compiler runs from source (tests),
 * `.js` from the build. esbuild bundles either, so the child never needs a TypeScript loader.
 */
export const SANDBOX_LOADER = fileURLToPath(new URL(`./sandbox-child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * The entry of a load bundle: the loader, then the config and modules as lazy imports, so nothing
 * of the project runs before the loader has guarded the process, and each module's load runs (and
 * fails) on its own; one throwing module does not hide the others' problems.
 */
export function sandboxEntry(projectDir: string, configFile: string, modules: string[]): string {
  const entry = (file: string) => {
    const relative = relativePath(projectDir, file);
    return { name: JSON.stringify(relative), specifier: JSON.stringify("./" + relative) };
  };
  const config = entry(configFile);
  return [
    `import { runSandboxChild } from ${JSON.stringify(SANDBOX_LOADER)};`,
    "runSandboxChild({",
    `  configFile: ${config.name},`,
    `  loadConfig: () => import(${config.specifier}),`,
    "  modules: [",
    ...modules.map(entry).map(({ name, specifier }) => `    [${name}, () => import(${specifier})],`),
    "  ],",
    "});",
  ].join("\n");
}
