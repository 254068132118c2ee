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
  },
});
