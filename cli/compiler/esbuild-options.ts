import path from "node:path";
import type { BuildOptions, Metafile, Plugin } from "esbuild";
import { isInside, type SdkLocation } from "./paths.js";

/**
 * True for an input of a bundle's metafile (a path relative to the project) that is one of the
 * SDK's own files: they are part of the compile caches' keys, and never the author's inputs.
 */
export function isSdkInput(input: string, projectDir: string, sdk: SdkLocation): boolean {
  // A namespaced input (`wk-entry:load`) is generated; a drive letter (`C:`) is a path.
  return !/^[\w-]{2,}:/.test(input) && isInside(sdk.sdkDir, path.resolve(projectDir, input));
}

/** Namespace of the generated entry modules (`wk-entry:load`, `wk-entry:monitors`). */
export const ENTRY_NAMESPACE = "wk-entry";

/** Serves generated entry modules; their imports resolve from the project folder. */
export function entryPlugin(entries: Record<string, string>, projectDir: string): Plugin {
  return {
    name: "watchkeeper-entries",
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${ENTRY_NAMESPACE}:`) }, (args) => ({ path: args.path.slice(ENTRY_NAMESPACE.length + 1), namespace: ENTRY_NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, (args) => ({ contents: entries[args.path] ?? "", resolveDir: projectDir, loader: "js" }));
    },
  };
}

/** Options every compiler bundle shares. */
export function baseBuildOptions(projectDir: string, sdk: SdkLocation): BuildOptions {
  return {
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    metafile: true,
    logLevel: "silent",
    legalComments: "none",
    absWorkingDir: projectDir,
    // `watchkeeper` is the compiler's own SDK, resolved by esbuild itself: a plugin callback per
    // import (one per module, a thousand in a large project) cost more than bundling them. The
    // sandbox loader imports the same file by its path, so a bundle holds one copy of the SDK.
    alias: { watchkeeper: sdk.runtimeEntry },
    plugins: [],
    // Packages are bundled too, so the artifact runs without the project's node_modules; CommonJS
    // dependencies inside an ESM bundle need a `require`.
    banner: { js: 'import { createRequire as __wkCreateRequire } from "node:module";\nconst require = __wkCreateRequire(import.meta.url);' },
  };
}

/**
 * esbuild marks each module in a bundle with a `// path` comment relative to the project. Paths
 * that climb out of the project (the SDK of an installed CLI) would differ from machine to
 * machine, so they are rewritten to a stable name.
 */
export function normalizeModuleComments(text: string, metafile: Metafile, projectDir: string, sdk: SdkLocation): string {
  const stable = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    if (!input.startsWith("..") && !isSdkInput(input, projectDir, sdk)) continue;
    const absolute = path.resolve(projectDir, input);
    stable.set(
      input,
      isInside(sdk.packageRoot, absolute) ? "watchkeeper/" + path.relative(sdk.packageRoot, absolute).split(path.sep).join("/") : "external/" + path.basename(absolute),
    );
  }
  if (stable.size === 0) return text;
  // One pass over the bundle (a few MB), each `// path` line looked up; the line's own newline is
  // left for the next comment line to start with.
  return text.replace(/\n\/\/ ([^\n]+)(?=\n)/g, (line, input: string) => {
    const name = stable.get(input);
    return name === undefined ? line : `\n// ${name}`;
  });
}
