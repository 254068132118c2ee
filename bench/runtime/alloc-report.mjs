/**
 * Sums a V8 sampling heap profile (.heapprofile: WK_CHILD_ALLOC_PROFILE of the runtime child, or
 * node --heap-prof) by allocating function, self and inclusive, largest first:
 *   node bench/runtime/alloc-report.mjs FILE [ROWS]
 */
import { readFileSync } from "node:fs";
const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const self = new Map(); const incl = new Map(); let total = 0;
const walk = (n, stack) => {
  const cf = n.callFrame; const key = `${cf.functionName || "(anon)"} ${cf.url.replace(/.*node_modules\//, "nm/").replace(/.*watchkeeper-tests\//, "")}:${cf.lineNumber}`;
  const s = n.selfSize; total += s; self.set(key, (self.get(key) ?? 0) + s);
  const st = new Set(stack); st.add(key);
  for (const k of st) incl.set(k, (incl.get(k) ?? 0) + s);
  for (const c of n.children) walk(c, st);
};
walk(p.head, new Set());
const mb = (b) => (b / 2 ** 20).toFixed(1);
console.log("total MB", mb(total));
console.log("--- self");
[...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 40)).forEach(([k, v]) => console.log(mb(v).padStart(8), (100 * v / total).toFixed(1).padStart(5) + "%", k));
console.log("--- inclusive");
[...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 40)).forEach(([k, v]) => console.log(mb(v).padStart(8), (100 * v / total).toFixed(1).padStart(5) + "%", k));
