import { parentPort, workerData } from "node:worker_threads";
import type { SdkLocation } from "./paths.js";
import { typecheck } from "./typecheck.js";

/** Runs the type check off the main thread, so loading and validating overlap it. */
const { sdk } = workerData as { sdk: SdkLocation };
parentPort!.on("message", (request: { projectDir: string; files: string[] }) => {
  try {
    parentPort!.postMessage({ ok: true, diagnostics: typecheck(request.projectDir, request.files, sdk) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
