import { createRequire } from "node:module";

/**
 * esbuild, required rather than imported: it is CommonJS, and an `import` made Node scan its
 * 100 KB for export names before every compile (about 8 ms of a warm `wk validate`).
 */
export const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
