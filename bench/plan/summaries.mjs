// `npm run bench:plan-summaries`: what running summary functions costs a plan. A tree of N monitors
// (default 1,000, 10 files) whose summaries are functions, compiled once; then the plan's summary
// preview for all of them (every monitor new, so every function runs: one sandboxed child), and for
// one of them (the child's fixed cost). Runs the built modules (npm run build first).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "wk-bench-summaries-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const runs = Number(process.env.WK_BENCH_RUNS ?? 5);
const count = Number(process.env.WK_BENCH_MONITORS ?? 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

writeFileSync(join(work, "watchkeeper.config.ts"), `import { config } from "watchkeeper";\nexport default config({ name: "bench-summaries", secrets: ["HOOK"] });\n`);
mkdirSync(join(work, "monitors"));
writeFileSync(join(work, "monitors/hook.ts"), `import { channel, secret } from "watchkeeper";\nexport const hook = channel.webhook({ id: "hook", url: secret("HOOK") });\n`);
const perFile = Math.ceil(count / 10);
for (let f = 0; f < 10; f++) {
  const lines = [`import { check, monitor } from "watchkeeper";`, `import { hook } from "./hook.js";`];
  for (let i = f * perFile; i < Math.min(count, (f + 1) * perFile); i++) {
    lines.push(
      `export const m${i} = monitor({ id: "m-${i}", name: "Monitor ${i}", schedule: { every: "1m" }, check: check.http({ url: "https://svc-${i}.example.test/health" }), severity: "warning", channels: [hook],`,
      `  summary: (r, m) => \`\${m.name} on \${r.labels["instance"] ?? "svc-${i}"}: \${r.value === null ? "n/a" : r.value.toFixed(2)} (\${r.message.slice(0, 40)})\` });`,
    );
  }
  writeFileSync(join(work, `monitors/m${f}.ts`), lines.join("\n") + "\n");
}

const { compileProject } = await import(join(root, "build/cli/compiler/index.js"));
const { diffMonitors } = await import(join(root, "build/cli/plan/manifest-diff.js"));
const { previewSummaries } = await import(join(root, "build/cli/plan/summary-preview.js"));
const compiled = await compileProject({ projectDir: work, write: false, typecheck: false });
if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics.slice(0, 3)));
const target = { manifest: compiled.manifest, bundle: compiled.bundle };
const all = diffMonitors(null, compiled.manifest);

async function timed(monitors) {
  const t0 = performance.now();
  const out = await previewSummaries({ target, base: null, monitors, env: {} });
  const elapsed = performance.now() - t0;
  const failed = [...out.values()].filter((o) => !o.ok);
  if (out.size !== monitors.length || failed.length > 0) throw new Error(`expected ${monitors.length} texts, got ${out.size} (${failed.length} failed): ${JSON.stringify(failed[0])}`);
  return elapsed;
}

await timed(all.slice(0, 1)); // warm-up (file cache, esbuild's service)
const one = [];
const many = [];
for (let i = 0; i < runs; i++) {
  one.push(await timed(all.slice(0, 1)));
  many.push(await timed(all));
}
const oneMs = median(one);
const manyMs = median(many);
console.log(`Summary preview, medians of ${runs} runs, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end, Node ${process.version}, bundle ${(compiled.bundle.length / 1024).toFixed(0)} KiB`);
console.log(`| 1 summary function (one child: esbuild entry, spawn, bundle import, 1 call) | ${Math.round(oneMs)} ms |`);
console.log(`| ${count} summary functions (one child) | ${Math.round(manyMs)} ms |`);
console.log(`| per function beyond the first | ${((manyMs - oneMs) / (count - 1)).toFixed(2)} ms |`);
