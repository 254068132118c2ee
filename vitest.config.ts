import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Project modules import the published package name; under test it is the SDK source.
    alias: [{ find: /^watchkeeper$/, replacement: fileURLToPath(new URL("./sdk/index.ts", import.meta.url)) }],
  },
  test: {
    include: ["{sdk,cli,infra,runtime,test}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "build/**", "**/fixtures/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core CI machine.
    // Most of the slow files wait on real time (replica windows, timeouts, child processes), so two
    // files at once nearly halve the run; the timing assertions allow for a shared core.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
