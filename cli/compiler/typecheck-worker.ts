import { parentPort, workerData } from "node:worker_threads";
import type { SdkLocation } from "./paths.js";
import { typecheckSession } from "./typecheck.js";

/**
 * Runs the type check off the main thread, so loading and validating overlap it. It starts on
 * the declaration files at once, while the main thread is still reading the config.
 */
const { sdk, projectDir } = workerData as { sdk: SdkLocation; projectDir: string };
const session = typecheckSession(projectDir, sdk);
session.warm();
parentPort!.on("message", (request: { files: string[] }) => {
  try {
    parentPort!.postMessage({ ok: true, diagnostics: session.check(request.files) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
