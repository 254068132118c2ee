import { readFile } from "node:fs/promises";
import path from "node:path";
import type { BuildOptions, Metafile, Plugin } from "esbuild";
import { isInside, type SdkLocation } from "./paths.js";

/** Namespace of the SDK's modules inside a bundle. */
export const SDK_NAMESPACE = "wk-sdk";

/**
 * Resolves the bare specifier `watchkeeper` to the compiler's own SDK and marks the SDK's modules
 * free of side effects, so a bundle keeps only what it uses (monitors.mjs needs two functions,
 * not the manifest schema and its validation library). The SDK lives in its own namespace so
 * that only its ~15 modules go through these callbacks, not every import of the project.
 */
export function sdkPlugin(sdk: SdkLocation): Plugin {
  return {
    name: "watchkeeper-sdk",
    setup(build) {
      build.onResolve({ filter: /^watchkeeper$/ }, () => ({ path: sdk.runtimeEntry, namespace: SDK_NAMESPACE, sideEffects: false }));
      // The sandbox loader (bundled with the project) imports the SDK by path: it must get the
      // project's copy, or the bundle would carry two SDKs.
      build.onResolve({ filter: /\/sdk\/index\.js$/ }, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        if (target.replace(/\.js$/, "") !== sdk.runtimeEntry.replace(/\.[jt]s$/, "")) return undefined;
        return { path: sdk.runtimeEntry, namespace: SDK_NAMESPACE, sideEffects: false };
      });
      build.onResolve({ filter: /.*/, namespace: SDK_NAMESPACE }, async (args) => {
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (!isInside(sdk.sdkDir, resolved.path)) return resolved;
        return { path: resolved.path, namespace: SDK_NAMESPACE, sideEffects: false };
      });
      build.onLoad({ filter: /.*/, namespace: SDK_NAMESPACE }, async (args) => ({
        contents: await readFile(args.path, "utf8"),
        loader: args.path.endsWith(".ts") ? "ts" : "js",
        resolveDir: path.dirname(args.path),
      }));
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
    const inSdk = input.startsWith(SDK_NAMESPACE + ":");
    if (!input.startsWith("..") && !inSdk) continue;
    const absolute = inSdk ? input.slice(SDK_NAMESPACE.length + 1) : path.resolve(projectDir, input);
    const stable = isInside(sdk.packageRoot, absolute)
      ? "watchkeeper/" + path.relative(sdk.packageRoot, absolute).split(path.sep).join("/")
      : "external/" + path.basename(absolute);
    out = out.split(`\n// ${input}\n`).join(`\n// ${stable}\n`);
  }
  return out;
}
