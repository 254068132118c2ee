#!/usr/bin/env node
// The CLI runs from the compiled build (npm install runs `prepare`, which builds it). `npm run
// build` also makes a start-up bundle of it (scripts/bundle-cli.mjs), used while every file it
// was made from is as it was (build/wk/inputs.json); otherwise (say, after a plain `tsc`) the build
// itself runs.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

// Older Node fails deep inside (yargs refuses Node < 20, the compile sandbox passes flags 20.19
// knows): say what is wrong instead, before anything is loaded (package.json's engines).
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`watchkeeper: error: Node.js 20.19 or later is needed; this is Node ${process.versions.node}\nhint: install the current LTS release of Node.js (https://nodejs.org), or run the watchkeeper image\n`);
  process.exit(1);
}

function startupBundle() {
  try {
    const root = new URL("../", import.meta.url);
    const inputs = JSON.parse(readFileSync(new URL("build/wk/inputs.json", root), "utf8"));
    for (const [file, size, mtimeMs, sha256] of inputs) {
      const at = new URL(file, root);
      const s = statSync(at);
      if (s.size !== size) return null;
      // An installed package's files all carry the tarball's fixed time: then the content decides.
      if (s.mtimeMs !== mtimeMs && createHash("sha256").update(readFileSync(at)).digest("hex") !== sha256) return null;
    }
    return "../build/wk/main.js";
  } catch {
    return null;
  }
}

import(startupBundle() ?? "../build/cli/main.js")
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
