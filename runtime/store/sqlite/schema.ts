import type { Database } from "better-sqlite3";
import { decodeBins, encodeBins, mergeBins, ROLLUP_WIDTH_MS, type Bins } from "../latency-histogram.js";
import { StateError } from "../state-error.js";

/** Bump when the tables change; each step migrates from the version before it. */
export const SCHEMA_VERSION = 12;

/** A step is SQL, or SQL and then code for what SQL cannot do (merging latency bins). */
type Migration = string | { sql: string; then(db: Database): void };

const MIGRATIONS: Record<number, Migration> = {
  1: `
    CREATE TABLE alerts (
      dedup_key TEXT PRIMARY KEY,
      monitor_id TEXT NOT NULL,
      state TEXT NOT NULL,
      data TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX alerts_monitor ON alerts (monitor_id);
    CREATE TABLE results (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      monitor_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      ok INTEGER NOT NULL,
      firing INTEGER,
      value REAL,
      message TEXT NOT NULL,
      labels TEXT NOT NULL,
      duration_ms REAL NOT NULL
    );
    CREATE INDEX results_monitor ON results (monitor_id, id);
    CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      dedup_key TEXT NOT NULL,
      intent TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      dispatched_at INTEGER
    );
    CREATE INDEX outbox_undispatched ON outbox (seq) WHERE dispatched_at IS NULL;
    CREATE TABLE heartbeats (monitor_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    CREATE TABLE uptime_reports (monitor_id TEXT PRIMARY KEY, up INTEGER NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE emergencies (monitor_id TEXT PRIMARY KEY, at INTEGER NOT NULL, message TEXT NOT NULL);
    CREATE TABLE emergency_resolutions (monitor_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
  `,
  // Why a tick could not evaluate (check error): the status page, /readyz and /metrics show it.
  2: `ALTER TABLE results ADD COLUMN error TEXT;`,
  // What the pruner looks for (runtime/store/pruner.ts): expired rows by age, an alert's intents by key.
  3: `
    CREATE INDEX outbox_dispatched ON outbox (dispatched_at) WHERE dispatched_at IS NOT NULL;
    CREATE INDEX outbox_dedup_key ON outbox (dedup_key);
    CREATE INDEX alerts_inactive ON alerts (updated_at) WHERE state = 'inactive';
  `,
  // Delivery's tables join the one migration path (earlier builds created them on the side, hence
  // IF NOT EXISTS); alerts get the version a transition commits against; deliveries get claims.
  4: `
    CREATE TABLE IF NOT EXISTS delivery_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      intent_id TEXT NOT NULL,
      outbox_seq INTEGER NOT NULL,
      destination TEXT NOT NULL,
      dedup_key TEXT NOT NULL,
      type TEXT NOT NULL,
      intent_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'suppressed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      first_due_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      sent_at INTEGER,
      last_error TEXT,
      vendor_status INTEGER,
      vendor_answer TEXT,
      UNIQUE (intent_id, destination)
    );
    CREATE INDEX IF NOT EXISTS delivery_deliveries_queue ON delivery_deliveries (status, dedup_key, destination, id);
    CREATE INDEX IF NOT EXISTS delivery_deliveries_due ON delivery_deliveries (status, next_attempt_at);
    CREATE TABLE IF NOT EXISTS delivery_notify_log (
      dedup_key TEXT NOT NULL,
      destination TEXT NOT NULL,
      last_state TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      vendor_ref TEXT,
      PRIMARY KEY (dedup_key, destination)
    );
    CREATE TABLE IF NOT EXISTS delivery_firing (dedup_key TEXT PRIMARY KEY, monitor_id TEXT NOT NULL, since INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS delivery_silences (
      id TEXT PRIMARY KEY,
      comment TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      matchers_json TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS delivery_webhook_ids (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS delivery_deliveries_finished ON delivery_deliveries (updated_at) WHERE status <> 'pending';
    CREATE INDEX IF NOT EXISTS delivery_notify_log_resolved ON delivery_notify_log (sent_at) WHERE last_state = 'resolve';
    CREATE INDEX IF NOT EXISTS delivery_silences_ends ON delivery_silences (ends_at);
    CREATE INDEX IF NOT EXISTS delivery_webhook_ids_received ON delivery_webhook_ids (received_at);
    CREATE INDEX IF NOT EXISTS delivery_firing_monitor ON delivery_firing (monitor_id);
    ALTER TABLE alerts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE delivery_deliveries ADD COLUMN claimed_until INTEGER;
  `,
  // History (runtime/store/history.ts): results are kept for a time window rather than the newest
  // 50, so they are found by monitor and time and pruned by age, and the monitors that have any are
  // listed (the newest of each is one index lookup); per-minute and per-hour rollups with mergeable latency
  // bins; every alert transition and every delivery attempt. History starts at the upgrade: the
  // few results older builds kept are not rolled up.
  5: `
    DROP INDEX results_monitor;
    CREATE INDEX results_monitor_at ON results (monitor_id, at);
    CREATE INDEX results_at ON results (at);
    CREATE TABLE history_monitors (monitor_id TEXT PRIMARY KEY) WITHOUT ROWID;
    INSERT INTO history_monitors (monitor_id) SELECT DISTINCT monitor_id FROM results;
    CREATE TABLE rollups (
      monitor_id TEXT NOT NULL,
      width INTEGER NOT NULL,
      start INTEGER NOT NULL,
      count INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      errors INTEGER NOT NULL,
      max_ms REAL NOT NULL,
      bins BLOB NOT NULL,
      PRIMARY KEY (monitor_id, width, start)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_age ON rollups (width, start);
    CREATE TABLE alert_events (
      id INTEGER PRIMARY KEY,
      dedup_key TEXT NOT NULL,
      monitor_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      by TEXT,
      summary TEXT NOT NULL
    );
    CREATE INDEX alert_events_alert ON alert_events (dedup_key, id);
    CREATE INDEX alert_events_at ON alert_events (at);
    CREATE TABLE delivery_attempts (
      id INTEGER PRIMARY KEY,
      dedup_key TEXT NOT NULL,
      intent_id TEXT NOT NULL,
      type TEXT NOT NULL,
      destination TEXT NOT NULL,
      at INTEGER NOT NULL,
      attempt INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      vendor_status INTEGER,
      detail TEXT
    );
    CREATE INDEX delivery_attempts_alert ON delivery_attempts (dedup_key, id);
    CREATE INDEX delivery_attempts_at ON delivery_attempts (at);
  `,
  // The diagnostics text of each firing, kept with the alert's transitions; a durable record of
  // every API silence (kept as long as alert history, after the silence itself is pruned), filled
  // from the silences still stored; per-day rollups (width 86400000 in \`rollups\`) for the
  // overview's 90 bars, filled from the hour rollups already kept.
  6: {
    sql: `
    CREATE TABLE alert_diagnostics (
      id INTEGER PRIMARY KEY,
      dedup_key TEXT NOT NULL,
      monitor_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      text TEXT NOT NULL
    );
    CREATE INDEX alert_diagnostics_alert ON alert_diagnostics (dedup_key, id);
    CREATE INDEX alert_diagnostics_at ON alert_diagnostics (at);
    CREATE TABLE silence_records (
      id TEXT PRIMARY KEY,
      comment TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      matchers_json TEXT NOT NULL,
      expired_at INTEGER,
      expired_by TEXT
    );
    CREATE INDEX silence_records_ends ON silence_records (ends_at);
    INSERT INTO silence_records (id, comment, created_by, created_at, starts_at, ends_at, matchers_json)
      SELECT id, comment, created_by, created_at, starts_at, ends_at, matchers_json FROM delivery_silences;
  `,
    then: backfillDayRollups,
  },
  // Rollups are written after the commits that close their minutes and rebuilt from the raw
  // results after a kill: every result before `through` is in the stored rollups.
  7: `CREATE TABLE rollup_progress (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL);`,
  // Each monitor's floor for the newest-50 rule (the time of its 50th newest result when the sweep
  // last read it; NULL: not read yet, nothing of it is pruned), kept on disk instead of in a map
  // the size of the fleet in the runtime's heap.
  8: `ALTER TABLE history_monitors ADD COLUMN kept_floor INTEGER;`,
  // The recipients an email still owes after the server took it for the others (a JSON array;
  // NULL: every recipient), on the row so that a restart sends it to them only, not to all again.
  9: `ALTER TABLE delivery_deliveries ADD COLUMN owed_to TEXT;`,
  // When the first retryable failure was recorded: retries give up a day after it, not a day after
  // the delivery became due (one that waited for its secret was given up at its first failure).
  10: `ALTER TABLE delivery_deliveries ADD COLUMN first_failed_at INTEGER;`,
  // When each monitor's current erroring streak began (its first erroring result; 0: its latest
  // result did not error; NULL: not known), so the views say "erroring since" from when it really
  // began, not from the oldest of the few results they could read. Filled once from the results kept.
  // When its last streak ended (the first result that ran after it; NULL: none seen since), for "OK since".
  11: `
    ALTER TABLE history_monitors ADD COLUMN erroring_since INTEGER;
    ALTER TABLE history_monitors ADD COLUMN erroring_ended INTEGER;
    UPDATE history_monitors SET erroring_since = COALESCE((
      SELECT MIN(r.at) FROM results r WHERE r.monitor_id = history_monitors.monitor_id
        AND r.at > COALESCE((SELECT MAX(o.at) FROM results o WHERE o.monitor_id = history_monitors.monitor_id AND o.error IS NULL), -1)
    ), 0);
  `,
  // Browser sessions signed out before they expired (a hash of the cookie), refused until then.
  12: `CREATE TABLE signed_out_sessions (session_id TEXT PRIMARY KEY, until INTEGER NOT NULL);`,
};

/** Day buckets from the hour buckets already stored, a monitor at a time (memory stays at one monitor's 90 days). */
function backfillDayRollups(db: Database): void {
  const hour = ROLLUP_WIDTH_MS.hour;
  const day = ROLLUP_WIDTH_MS.day;
  const put = db.prepare("INSERT OR REPLACE INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const hours = db.prepare("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? ORDER BY start");
  const monitors = db.prepare("SELECT DISTINCT monitor_id FROM rollups WHERE width = ?").pluck().all(hour) as string[];
  for (const monitor of monitors) {
    const days = new Map<number, { count: number; failures: number; errors: number; max: number; bins: Bins }>();
    for (const r of hours.all(monitor, hour) as Array<{ start: number; count: number; failures: number; errors: number; max_ms: number; bins: Buffer }>) {
      const start = Math.floor(r.start / day) * day;
      const d = days.get(start) ?? { count: 0, failures: 0, errors: 0, max: 0, bins: new Map() };
      d.count += r.count;
      d.failures += r.failures;
      d.errors += r.errors;
      d.max = Math.max(d.max, r.max_ms);
      mergeBins(d.bins, decodeBins(r.bins));
      days.set(start, d);
    }
    for (const [start, d] of days) put.run(monitor, day, start, d.count, d.failures, d.errors, d.max, encodeBins(d.bins));
  }
}

/**
 * Creates or upgrades the tables; refuses a database written by a newer build. `target` is for
 * tests that build an older schema to upgrade from.
 */
export function migrate(db: Database, target: number = SCHEMA_VERSION): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT version FROM schema_version").get() as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new StateError(
      "unusable",
      `the state database has schema version ${current}; this build understands up to ${SCHEMA_VERSION}`,
      "run a watchkeeper at least as new as the one that last wrote this state (upgrade the image); an older build must not write it",
    );
  }
  const step = db.transaction(() => {
    for (let v = current + 1; v <= target; v++) {
      const m = MIGRATIONS[v]!;
      db.exec(typeof m === "string" ? m : m.sql);
      if (typeof m !== "string") m.then(db);
    }
    db.prepare("DELETE FROM schema_version").run();
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(target);
  });
  if (current < target) step();
}
