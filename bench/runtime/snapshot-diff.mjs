/**
 * What a process allocated between two of its heap snapshots and still held at the second: every
 * object of the second snapshot whose id the first lacks (V8 keeps an object's id from one
 * snapshot to the next in one process), summed by what it is and its first two retainers, largest
 * first. Snapshots are taken after a full GC, so this is what stayed alive, not what was allocated:
 * per-monitor state replaced on every tick shows here, garbage does not.
 *   node --max-old-space-size=8000 bench/runtime/snapshot-diff.mjs FIRST SECOND [ROWS]
 * (two snapshots of the runtime under load: WK_PROFILE=snapshot WK_PROFILE_SNAPSHOTS=2 with
 * bench/runtime/profile.ts)
 */
import { readFileSync } from "node:fs";

function load(file) {
  const s = JSON.parse(readFileSync(file, "utf8"));
  const meta = s.snapshot.meta;
  const nodeFields = meta.node_fields;
  const edgeFields = meta.edge_fields;
  return {
    nodes: s.nodes,
    edges: s.edges,
    strings: s.strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    N: nodeFields.length,
    E: edgeFields.length,
    type: nodeFields.indexOf("type"),
    name: nodeFields.indexOf("name"),
    id: nodeFields.indexOf("id"),
    size: nodeFields.indexOf("self_size"),
    edgeCount: nodeFields.indexOf("edge_count"),
    to: edgeFields.indexOf("to_node"),
    edgeType: edgeFields.indexOf("type"),
    edgeName: edgeFields.indexOf("name_or_index"),
  };
}

const [firstFile, secondFile, rows = "50"] = process.argv.slice(2);
if (!firstFile || !secondFile) {
  console.error("usage: node bench/runtime/snapshot-diff.mjs FIRST.heapsnapshot SECOND.heapsnapshot [ROWS]");
  process.exit(2);
}
const first = load(firstFile);
const before = new Set();
for (let i = 0; i < first.nodes.length; i += first.N) before.add(first.nodes[i + first.id]);

const h = load(secondFile);
const count = h.nodes.length / h.N;
// The first strong retainer of each node, and the edge's name.
const retainer = new Int32Array(count).fill(-1);
const viaEdge = new Array(count);
let edge = 0;
for (let n = 0; n < count; n++) {
  const end = edge + h.nodes[n * h.N + h.edgeCount] * h.E;
  for (; edge < end; edge += h.E) {
    const type = h.edgeTypes[h.edges[edge + h.edgeType]];
    if (type === "weak") continue;
    const to = h.edges[edge + h.to] / h.N;
    if (retainer[to] !== -1) continue;
    retainer[to] = n;
    const name = h.edges[edge + h.edgeName];
    viaEdge[to] = type === "element" || type === "hidden" ? `[${name}]` : h.strings[name];
  }
}
const label = (n) => (n < 0 ? "-" : `${h.nodeTypes[h.nodes[n * h.N + h.type]]}:${String(h.strings[h.nodes[n * h.N + h.name]]).slice(0, 40)}`);
const groups = new Map();
let total = 0;
let objects = 0;
for (let n = 0; n < count; n++) {
  if (before.has(h.nodes[n * h.N + h.id])) continue;
  const size = h.nodes[n * h.N + h.size];
  total += size;
  objects++;
  const r = retainer[n];
  const r2 = r < 0 ? -1 : retainer[r];
  const key = `${label(n)}  <-${viaEdge[n] ?? ""}- ${label(r)}  <-${r < 0 ? "" : (viaEdge[r] ?? "")}- ${label(r2)}`;
  const g = groups.get(key) ?? { objects: 0, bytes: 0 };
  g.objects++;
  g.bytes += size;
  groups.set(key, g);
}
console.log(`new since the first snapshot and alive at the second: ${objects} objects, ${(total / 2 ** 20).toFixed(2)} MB`);
console.log("    bytes objects  what  <-edge- retainer  <-edge- its retainer");
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(rows))) {
  console.log(`${String(g.bytes).padStart(9)} ${String(g.objects).padStart(7)}  ${key}`);
}
