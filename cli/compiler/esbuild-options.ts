import path from "node:path";
import type { BuildOptions, Metafile, Plugin } from "esbuild";
import { isInside, type SdkLocation } from "./paths.js";

/**
 * Resolves the bare specifier `watchkeeper` to the compiler's own SDK and marks the SDK's modules
 * free of side effects, so a bundle keeps only what it uses (monitors.mjs needs two functions,
 * not the manifest schema and its validation library).
 */
export function sdkPlugin(sdk: SdkLocation): Plugin {
  return {
    name: "watchkeeper-sdk",
    setup(build) {
      build.onResolve({ filter: /^watchkeeper$/ }, () => ({ path: sdk.runtimeEntry, sideEffects: false }));
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace !== "file" || !args.importer || !isInside(sdk.sdkDir, args.importer)) return undefined;
        if (args.pluginData === "sdk") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: "sdk",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { ...resolved, sideEffects: false };
      });
    },
  };
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
    plugins: [sdkPlugin(sdk)],
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
  let out = text;
  for (const input of Object.keys(metafile.inputs)) {
    if (!input.startsWith("..")) continue;
    const absolute = path.resolve(projectDir, input);
    const stable = isInside(sdk.packageRoot, absolute)
      ? "watchkeeper/" + path.relative(sdk.packageRoot, absolute).split(path.sep).join("/")
      : "external/" + path.basename(absolute);
    out = out.split(`\n// ${input}\n`).join(`\n// ${stable}\n`);
  }
  return out;
}
