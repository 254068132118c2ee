/**
 * Where the newest-50 floors live, against the pruner's batch time on a week's state, in one
 * process: the results statement as it was (each monitor's floor from a map in the heap, through
 * an SQL function) and as it is (from its `history_monitors` row, one primary-key lookup a row),
 * taking turns every block of batches on the same folder, so both meet the same rows, the same
 * disk and the same load. Both delete exactly the rows below the same floors. The backlog is what
 * expired since the folder was last pruned (1,000 results a second at 10,000 monitors).
 *   WK_WEEK_STATE=<kept folder> node bench/run-ts.mjs bench/history/floors-ab.ts
 * Env: WK_BLOCK (batches per block, default 100), WK_BATCHES (batches in all, default 2000).
 */
import { loadavg } from "node:os";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { PRUNE_BATCH, retentionOf } from "../../runtime/store/retention.js";
import { KEPT_PER_MONITOR } from "../../runtime/store/sqlite/history.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { takeTurns, turnsReport, type Turns } from "./take-turns.js";

const folder = process.env.WK_WEEK_STATE;
if (!folder) {
  process.stderr.write("WK_WEEK_STATE must name a state folder (bench:week with WK_BENCH_KEEP=1 keeps one)\n");
  process.exit(2);
}
const BLOCK = Number(process.env.WK_BLOCK ?? 100);
const BATCHES = Number(process.env.WK_BATCHES ?? 2000);

const load = loadavg();
const now = Date.now();
const store = SqliteStore.open(folder, now);
const cutoff = now - retentionOf(DEFAULT_RUNTIME_SETTINGS).results;
const db = store.db;
// Every floor read now, into the column and into a map, so both statements use the same floors.
db.prepare(
  `UPDATE history_monitors SET kept_floor = COALESCE((SELECT x.at FROM results x WHERE x.monitor_id = history_monitors.monitor_id ORDER BY x.at DESC LIMIT 1 OFFSET ${KEPT_PER_MONITOR - 1}), 0)`,
).run();
const floors = new Map<string, number>();
for (const { monitor_id, kept_floor } of db.prepare("SELECT monitor_id, kept_floor FROM history_monitors").all() as Array<{ monitor_id: string; kept_floor: number }>) {
  floors.set(monitor_id, kept_floor);
}
db.function("wk_kept_floor_ab", { deterministic: false, varargs: false }, (monitorId: unknown) => floors.get(monitorId as string) ?? null);
const variants = [
  {
    name: "map in the heap, through an SQL function (before)",
    run: db.prepare(`DELETE FROM results WHERE id IN (
      SELECT r.id FROM results r WHERE r.at < @cutoff AND r.at < wk_kept_floor_ab(r.monitor_id) ORDER BY r.at DESC LIMIT @limit)`),
  },
  {
    name: "`history_monitors.kept_floor`, a lookup a row (now)",
    run: db.prepare(`DELETE FROM results WHERE id IN (
      SELECT r.id FROM results r WHERE r.at < @cutoff
         AND r.at < (SELECT h.kept_floor FROM history_monitors h WHERE h.monitor_id = r.monitor_id)
       ORDER BY r.at DESC LIMIT @limit)`),
  },
];
let turns: Turns[];
try {
  turns = takeTurns(variants.length, BLOCK, BATCHES, (k) => variants[k]!.run.run({ cutoff, limit: PRUNE_BATCH }).changes);
} finally {
  store.close();
}
process.stdout.write(turnsReport(load, `floors (batches of ${PRUNE_BATCH})`, variants.map((v) => v.name), turns));
