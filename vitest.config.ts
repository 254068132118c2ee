import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Files that assert on real time across several processes (replica windows, lease take-overs,
 * quorum ticks): they run alone, after the rest, so no other file shares their cores.
 */
const REAL_TIME = ["test/scale-out/**/*.test.ts", "test/chaos/**/*.test.ts"];
const EXCLUDE = ["**/node_modules/**", "build/**", "**/fixtures/**"];

export default defineConfig({
  resolve: {
    // Project modules import the published package name; under test it is the SDK source.
    alias: [{ find: /^watchkeeper$/, replacement: fileURLToPath(new URL("./sdk/index.ts", import.meta.url)) }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core CI
    // machine. Most slow files wait on child processes and timeouts, so two at once nearly halve
    // the run.
    maxWorkers: 2,
    minWorkers: 1,
    // Workers are not replaced after each file (vitest reads this for the whole pool, not per
    // project); each project says below whether its files share a module graph.
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["{sdk,cli,infra,runtime,test}/**/*.test.ts"],
          exclude: [...EXCLUDE, ...REAL_TIME],
          // A worker runs file after file in one process: a fresh process and module graph per file
          // cost about a third of this group's time. What a file may leave behind for the next
          // (environment, working folder, exit code) is put back after each file.
          isolate: false,
          setupFiles: ["test/support/file-isolation.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "real-time",
          include: REAL_TIME,
          exclude: EXCLUDE,
          // One file at a time, in one worker, each file with its own module graph.
          isolate: true,
          poolOptions: { forks: { singleFork: true, isolate: true } },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
