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
  if (!stack) return null;
  const sdkSources = path.join(sdk.packageRoot, "sdk");
  for (const text of stack.split("\n")) {
    const match = FRAME_RE.exec(text);
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (!path.isAbsolute(file)) continue;
    let line = Number(match[2]);
    let column = Number(match[3]);
    const mapped = mapFrame?.(file, line, column);
    if (mapped) ({ file, line, column } = mapped);
    if (isInside(sdk.sdkDir, file) || isInside(sdkSources, file)) continue;
    if (file.split(path.sep).includes("node_modules")) continue;
    if (!isInside(projectDir, file)) continue;
    return { file: relativePath(projectDir, file), line, column };
  }
  return null;
}

/** The first line of an error's message, without the stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return `thrown value: ${String(error)}`;
}
