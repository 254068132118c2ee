// Runs a TypeScript benchmark harness: bundles it with esbuild into node_modules/.cache (so its bare
// imports resolve to the project's node_modules) and runs it, with no tsc build of the whole tree.
//   node bench/run-ts.mjs bench/runtime/bench.ts [args...]
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [harness, ...args] = process.argv.slice(2);
if (!harness) {
  console.error("usage: node bench/run-ts.mjs HARNESS.ts [args...]");
  process.exit(2);
}
const entry = resolve(root, harness);
const out = join(root, "node_modules/.cache/watchkeeper-bench", `${basename(dirname(entry))}-${basename(entry, ".ts")}.mjs`);
mkdirSync(dirname(out), { recursive: true });
await build({ entryPoints: [entry], outfile: out, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "error" });
const child = spawn(process.execPath, [out, ...args], { stdio: "inherit", cwd: root });
child.on("exit", (code) => process.exit(code ?? 1));
