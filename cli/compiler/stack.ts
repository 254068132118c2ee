import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Location } from "./diagnostic.js";
import type { FrameMapper } from "./evaluate.js";
import { isInside, relativePath, type SdkLocation } from "./paths.js";

const FRAME_RE = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * The author's place in a call stack: the first frame inside the project that is not the SDK
 * (constructs are made by SDK factories, errors are often thrown by helpers). Frames in the
 * bundle are mapped back to the author's `.ts` files with `mapFrame`.
 */
export function authorFrame(stack: string | undefined, projectDir: string, sdk: SdkLocation, mapFrame?: FrameMapper): Location | null {
  return frameLocator(projectDir, sdk, mapFrame)(stack);
}

/**
 * `authorFrame` for many stacks at once. Thousands of constructs share their SDK frames, so each
 * distinct frame is mapped and classified once.
 */
export function frameLocator(projectDir: string, sdk: SdkLocation, mapFrame?: FrameMapper): (stack: string | undefined) => Location | null {
  const sdkSources = path.join(sdk.packageRoot, "sdk");
  // Per raw frame: the author's location, or null for a frame that is not the author's.
  const seen = new Map<string, Location | null>();
  // Thousands of frames name a handful of files: each file's path and verdict is worked out once.
  const paths = new Map<string, string | null>();
  const authorPath = (file: string): string | null => {
    let rel = paths.get(file);
    if (rel === undefined) {
      const own = !isInside(sdk.sdkDir, file) && !isInside(sdkSources, file) && !file.split(path.sep).includes("node_modules") && isInside(projectDir, file);
      rel = own ? relativePath(projectDir, file) : null;
      paths.set(file, rel);
    }
    return rel;
  };
  const urls = new Map<string, string>();
  const resolve = (frame: string): Location | null => {
    const match = FRAME_RE.exec(frame);
    if (!match) return null;
    let file = match[1]!;
    if (file.startsWith("file://")) {
      let converted = urls.get(file);
      if (converted === undefined) urls.set(file, (converted = fileURLToPath(file)));
      file = converted;
    }
    if (!path.isAbsolute(file)) return null;
    let line = Number(match[2]);
    let column = Number(match[3]);
    const mapped = mapFrame?.(file, line, column);
    if (mapped) ({ file, line, column } = mapped);
    const rel = authorPath(file);
    return rel === null ? null : { file: rel, line, column };
  };
  return (stack) => {
    if (!stack) return null;
    for (const frame of stack.split("\n")) {
      let at = seen.get(frame);
      if (at === undefined) {
        at = resolve(frame);
        seen.set(frame, at);
      }
      if (at) return at;
    }
    return null;
  };
}

/** The first line of an error's message, without the stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return `thrown value: ${String(error)}`;
}
