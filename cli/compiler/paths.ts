import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where this package's SDK lives, seen from the compiler's own location: `sdk/index.ts` when the
 * compiler runs from source (tests), `build/sdk/index.{js,d.ts}` when it runs from the build.
 * User projects import the bare specifier `watchkeeper`; the compiler maps it here so a project
 * always compiles against the SDK of the CLI that compiles it.
 */
export interface SdkLocation {
  /** The package root (holds package.json). */
  packageRoot: string;
  /** Folder of the SDK sources or build output; frames inside it are not the author's. */
  sdkDir: string;
  /** What esbuild bundles for `watchkeeper`. */
  runtimeEntry: string;
  /** What the type checker reads for `watchkeeper`. */
  typesEntry: string;
}

export function locateSdk(compilerUrl: string = import.meta.url): SdkLocation {
  const here = path.dirname(fileURLToPath(compilerUrl));
  const source = path.resolve(here, "../../sdk/index.ts");
  if (existsSync(source)) {
    return { packageRoot: path.resolve(here, "../.."), sdkDir: path.dirname(source), runtimeEntry: source, typesEntry: source };
  }
  const js = path.resolve(here, "../../sdk/index.js");
  const dts = path.resolve(here, "../../sdk/index.d.ts");
  if (!existsSync(js) || !existsSync(dts)) {
    throw new Error(`the watchkeeper SDK is missing next to the compiler (looked for ${source} and ${js}); rebuild the package`);
  }
  return { packageRoot: path.resolve(here, "../../.."), sdkDir: path.dirname(js), runtimeEntry: js, typesEntry: dts };
}

/** A path relative to the project, with forward slashes, as diagnostics show it. */
export function relativePath(projectDir: string, file: string): string {
  return path.relative(projectDir, file).split(path.sep).join("/");
}

/** True when `file` is `dir` or inside it. */
export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
