import { Worker } from "node:worker_threads";
import type { BaseCompileFn, CompiledBase } from "./base-source.js";

/** True when running from the compiled JavaScript build, where the worker entry exists as a file. */
export function workerAvailable(): boolean {
  return import.meta.url.endsWith(".js");
}

/** Compiles (and mock-runs) a base checkout in a worker thread. */
export const compileInWorker: BaseCompileFn = (projectDir) =>
  new Promise<CompiledBase>((resolve, reject) => {
    const worker = new Worker(new URL("./compile-worker.js", import.meta.url), { workerData: { projectDir } });
    let settled = false;
    worker.once("message", (message: CompiledBase) => {
      settled = true;
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the base compile worker exited with code ${code} before answering`));
    });
  });
