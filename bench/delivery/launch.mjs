// `npm run bench:delivery`: bundles the TypeScript harness with esbuild and runs it (no tsc build needed).
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "node_modules/.cache/watchkeeper-bench/delivery-bench.mjs");
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, "bench/delivery/bench.ts")],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "error",
});
const child = spawn(process.execPath, [out, ...process.argv.slice(2)], { stdio: "inherit", cwd: root });
child.on("exit", (code) => process.exit(code ?? 1));
