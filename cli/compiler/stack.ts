import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Location } from "./diagnostic.js";
import { isInside, relativePath, type SdkLocation } from "./paths.js";

const FRAME_RE = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * The author's place in a call stack: the first frame inside the project that is not the SDK
 * (constructs are made by SDK factories, errors are often thrown by helpers). Stacks are
 * source-mapped, so frames point at the author's `.ts` files.
 */
export function authorFrame(stack: string | undefined, projectDir: string, sdk: SdkLocation): Location | null {
  if (!stack) return null;
  const sdkSources = path.join(sdk.packageRoot, "sdk");
  for (const line of stack.split("\n")) {
    const match = FRAME_RE.exec(line);
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (!path.isAbsolute(file)) continue;
    if (isInside(sdk.sdkDir, file) || isInside(sdkSources, file)) continue;
    if (file.split(path.sep).includes("node_modules")) continue;
    if (!isInside(projectDir, file)) continue;
    return { file: relativePath(projectDir, file), line: Number(match[2]), column: Number(match[3]) };
  }
  return null;
}

/** The first line of an error's message, without the stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return `thrown value: ${String(error)}`;
}
