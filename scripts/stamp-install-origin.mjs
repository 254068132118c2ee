// Runs as `prepack`. npm keeps no record of where a globally installed package came from, so the
// package records it itself: packed for a registry (`npm publish`) or as a local tarball
// (`npm pack`). `wk init` reads it to decide whether a version number will install this copy
// (cli/init/watchkeeper-spec.ts).
import { mkdirSync, writeFileSync } from "node:fs";

const packedFor = process.env.npm_command === "publish" ? "publish" : "pack";
mkdirSync("build", { recursive: true });
writeFileSync("build/install-origin.json", `${JSON.stringify({ packedFor })}\n`);
