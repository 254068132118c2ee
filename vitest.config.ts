import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{sdk,cli,infra,runtime,test}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "build/**", "**/fixtures/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
