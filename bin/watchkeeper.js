#!/usr/bin/env node
// The CLI runs from the compiled build (npm install runs `prepare`, which builds it).
import("../build/cli/main.js")
  .then((cli) => cli.main(process.argv.slice(2)))
  .catch((error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("build/cli/main.js")) {
      console.error("watchkeeper: the build is missing; run `npm run build` in the watchkeeper package.");
    } else {
      console.error("watchkeeper: internal error (this is a bug, please report it):", error);
    }
    process.exit(2);
  });
