import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { SdkLocation } from "./paths.js";
import type { Diagnostic } from "./types.js";

/** The type-check step, on a worker thread when the compiler runs from its build. */
export interface Typechecker {
  /** True when `check` runs beside the main thread (its result arrives later). */
  readonly parallel: boolean;
  check(files: string[]): Promise<Diagnostic[]>;
  close(): Promise<void>;
}

/**
 * Starts the checker before discovery so TypeScript loads while the config is read. The worker
 * needs compiled JavaScript, so from sources (tests) the check runs inline on the main thread.
 */
export function startTypechecker(sdk: SdkLocation, projectDir: string): Typechecker {
  const workerFile = new URL("./typecheck-worker.js", import.meta.url);
  if (!import.meta.url.endsWith(".js") || !existsSync(fileURLToPath(workerFile))) return inlineChecker(sdk, projectDir);
  const worker = new Worker(workerFile, { workerData: { sdk, projectDir } });
  const failed = new Promise<never>((_, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the type-check worker exited with code ${code}`)));
  });
  failed.catch(() => undefined);
  return {
    parallel: true,
    check(files) {
      const answer = new Promise<Diagnostic[]>((resolve, reject) => {
        worker.once("message", (reply: { ok: true; diagnostics: Diagnostic[] } | { ok: false; error: string }) =>
          reply.ok ? resolve(reply.diagnostics) : reject(new Error(`type check failed inside the compiler: ${reply.error}`)),
        );
      });
      worker.postMessage({ files });
      return Promise.race([answer, failed]);
    },
    async close() {
      worker.removeAllListeners();
      await worker.terminate();
    },
  };
}

/** No type check: for sources already validated (a plan's git base). */
export function skipTypecheck(): Typechecker {
  return { parallel: false, check: async () => [], close: async () => {} };
}

function inlineChecker(sdk: SdkLocation, projectDir: string): Typechecker {
  return {
    parallel: false,
    async check(files) {
      const { typecheck } = await import("./typecheck.js");
      return typecheck(projectDir, files, sdk);
    },
    async close() {},
  };
}
