import { parentPort, workerData } from "node:worker_threads";
import { compileProject } from "../compiler/index.js";
import { runUnderMocks } from "./mock-run.js";
import type { CompiledBase } from "./base-source.js";

/*
 * Worker-thread entry: compiles the plan's base checkout and runs the Pulumi program on it under
 * mocks, so both overlap with the head's compile on another core. Pulumi's mock monitor is
 * per-process-global, and a worker has its own module instances, so the two runs do not meet.
 */
const { projectDir } = workerData as { projectDir: string };
const result = await compileProject({ projectDir, write: false });
const resources = result.ok && result.manifest ? (await runUnderMocks(result.manifest)).resources : null;
const message: CompiledBase = { result, resources };
parentPort?.postMessage(message);
