#!/usr/bin/env node
// The CLI runs from the compiled build (npm install runs `prepare`, which builds it).
import("../build/cli/main.js")
  .then((cli) => cli.main(process.argv.slice(2)))
  .catch((error) => {
    // Exit codes as cli/errors.ts names them: 1 a problem of the environment, 3 a bug.
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("build/cli/main.js")) {
      console.error("watchkeeper: the build is missing; run `npm run build` in the watchkeeper package.");
      process.exitCode = 1;
    } else {
      console.error("watchkeeper: internal error (this is a bug in watchkeeper, please report it):", error);
      process.exitCode = 3;
    }
  });
