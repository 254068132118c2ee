/**
 * SQLite's page cache size against the pruner's batch time on a week's state, in one process:
 * the real store on a state folder kept by `npm run bench:week`, prune batches of PRUNE_BATCH
 * rows at full size, the connection's `cache_size` switched between the sizes every block of
 * batches (so every size meets the same rows, the same disk and the same load). A batch is
 * synchronous, so its time is the event-loop stall it causes in the runtime. Prints p50 / p99 /
 * max per size. The backlog is what expired since the folder was last pruned: results expire at
 * 1,000 a second at 10,000 monitors, so a folder left for 20 minutes has 1.2 million rows.
 *   WK_WEEK_STATE=<kept folder> node bench/run-ts.mjs bench/history/page-cache-ab.ts
 * Env: WK_CACHE_SIZES (KiB, default 2048 and the runtime's own PAGE_CACHE_KIB), WK_BLOCK (batches per block,
 * default 100),
 * WK_BATCHES (batches in all, default 3000).
 */
import { loadavg } from "node:os";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { PRUNE_BATCH, retentionOf } from "../../runtime/store/retention.js";
import { PAGE_CACHE_KIB } from "../../runtime/store/sqlite/open-database.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { takeTurns, turnsReport, type Turns } from "./take-turns.js";

const folder = process.env.WK_WEEK_STATE;
if (!folder) {
  process.stderr.write("WK_WEEK_STATE must name a state folder (bench:week with WK_BENCH_KEEP=1 keeps one)\n");
  process.exit(2);
}
const sizes = (process.env.WK_CACHE_SIZES ?? `2048,${PAGE_CACHE_KIB}`).split(",").map(Number);
const BLOCK = Number(process.env.WK_BLOCK ?? 100);
const BATCHES = Number(process.env.WK_BATCHES ?? 3000);

const load = loadavg();
const now = Date.now();
const store = SqliteStore.open(folder, now);
const retention = retentionOf(DEFAULT_RUNTIME_SETTINGS);
let turns: Turns[];
try {
  turns = takeTurns(sizes.length, BLOCK, BATCHES, (k, first) => {
    if (first) store.db.pragma(`cache_size = -${sizes[k]}`);
    return store.prune(now, retention, PRUNE_BATCH) as number;
  });
} finally {
  store.close();
}
process.stdout.write(turnsReport(load, "cache_size", sizes.map((size) => `${size} KiB`), turns));
