import { randomBytes, randomUUID } from "node:crypto";
import { Redis, type Result } from "ioredis";
import type { AlertCommit, CommitOutcome, VersionedAlert } from "../../alerts/alert-store.js";
import type { NotificationIntent, StoredIntent } from "../../alerts/intent.js";
import type { Alert } from "../../alerts/state.js";
import { HEARTBEAT_CLOCK_SLACK_MS, type UptimeReport } from "../../checks/types.js";
import { RECENT_RESULTS, type EvaluationCommit, type EvaluationOutcome, type ResultRow } from "../../evaluate/evaluation-store.js";
import { UNREADABLE_INTENT, type AttemptRecord, type DeliveryAttemptEvent, type DeliveryRecord, type DeliveryRow, type DeliveryStatus, type NewDelivery } from "../../notify/delivery-queue.js";
import type { AlertEvent } from "../../alerts/alert-event.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import type { NewSilence, Silence, SilenceMatchers, SilenceRecord } from "../../notify/silences.js";
import { diagnosticsOf } from "../diagnostics-record.js";
import type { ChangedMonitors, ChangeFeed } from "../change-feed.js";
import type { Store } from "../port.js";
import { owedToRead, owedToWrite } from "../owed-recipients.js";
import type { RetentionMs } from "../retention.js";
import type { DeliveryLanes, DeliveryState, LaneHead } from "../../notify/delivery-lanes.js";
import { attemptOfOutcome, skippedAttempt, suppressedAttempt, type AttemptFacts } from "../attempt-event.js";
import { rollupBucket, rollupDeltas, ROLLUP_WIDTH_MS, type Bins } from "../latency-histogram.js";
import { CLAIM, COMMIT_ALERTS, DELIVERY_STATE, DISPATCH_INTENT, ENQUEUE_INTENT, EXPIRE_SILENCE, LANE_HEAD, PRUNE, PRUNE_HISTORY, RATE_TAKE, RECORD_HEARTBEAT, RECORD_OUTCOME, REPLACE_GARBAGE_ALERT } from "./scripts.js";
import { parseStoredAlert } from "../stored-alert.js";
import { parseStoredResult } from "./stored-result.js";
import { parseStoredMatchers } from "../stored-silence.js";
import { parseStoredIntent } from "../stored-intent.js";
import { byCodeUnits } from "../../text/compare.js";
import type { SignedOut } from "../../http/signed-out.js";

/** The default key prefix: every key is `wk:...`. */
export const DEFAULT_REDIS_PREFIX = "wk";

export interface RedisStoreOptions {
  /** Keys are `${prefix}:...`; replicas share state exactly when they share the Redis and the prefix. */
  prefix?: string;
  /** Webhook event ids are kept at least this long, whatever the `inbound` retention (replay window). */
  webhookReplayWindowMs?: number;
  /** Hears what an operator must know about the data (an alert key that is garbage); the runtime logs it. */
  onNotice?: (level: "warn" | "error", message: string) => void;
}

declare module "ioredis" {
  interface ChainableCommander {
    wkCommitAlerts(prefix: string, payload: string): ChainableCommander;
  }
  interface RedisCommander<Context> {
    wkCommitAlerts(prefix: string, payload: string): Result<string, Context>;
    wkEnqueue(prefix: string, id: string, key: string, json: string, at: string, diagnostics: string, diagnosedAt: string): Result<number, Context>;
    wkDispatch(prefix: string, seq: string, now: string, payload: string): Result<number | Array<string | number>, Context>;
    wkDeliveryState(prefix: string, id: string): Result<string | null, Context>;
    wkLaneHead(prefix: string, dedupKey: string, destination: string): Result<[string, string] | null, Context>;
    wkReplaceGarbageAlert(prefix: string, dedupKey: string, seen: string, d: string, v: string, monitorId: string): Result<string, Context>;
    wkClaim(prefix: string, now: string, until: string, token: string, ...ids: string[]): Result<string[], Context>;
    wkRecordOutcome(prefix: string, id: string, payload: string): Result<number, Context>;
    wkHeartbeat(prefix: string, monitorId: string, at: string, slackMs: string): Result<number, Context>;
    wkExpireSilence(prefix: string, id: string, now: string, expiredBy: string): Result<number, Context>;
    wkPrune(prefix: string, limit: string, cutoffs: string): Result<number, Context>;
    wkPruneHistory(prefix: string, cursor: string, count: string, cutoffs: string): Result<[number, string], Context>;
  }
}

/**
 * The scale-out store: every replica on the same Redis and prefix shares alert state, results,
 * the outbox, deliveries, silences and inbound events. Each named atomic operation of the port is
 * one Lua script (runtime/store/redis/scripts.ts), so an alert transition commits only against the
 * version it was computed from, and two replicas never both trigger or both resolve an alert.
 * Needs a single Redis primary (scripts touch keys they build; Redis Cluster is not supported).
 */
export class RedisStore implements Store, DeliveryLanes, ChangeFeed {
  readonly prefix: string;
  private readonly watchers = new Set<(monitors: ChangedMonitors) => void>();
  /** A second connection, subscribed to `{prefix}:changes` while anything watches (a subscribed connection runs no commands). */
  private subscriber: Redis | null = null;
  private readonly webhookReplayWindowMs: number;
  /** Where the pruner's walk over monitors' history stopped ("" between walks). */
  private historyCursor = "";
  /**
   * The token of each delivery this process claimed and has not yet recorded: its outcome carries
   * the token, and the store records it only while that claim is the current one (fencing). With
   * it, the attempts the delivery had when claimed, a dead claimant's attempt counted (CLAIM).
   */
  private readonly claims = new Map<number, { token: string; heldUntil: number; attempts: number }>();
  private readonly notice: (level: "warn" | "error", message: string) => void;
  /** Garbage alert keys already reported, so a key that cannot be replaced is reported once. */
  private readonly reported = new Set<string>();

  constructor(
    /** The connection; the store owns it and quits it on close(). */
    readonly redis: Redis,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.webhookReplayWindowMs = options.webhookReplayWindowMs ?? 0;
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    };
    define("wkCommitAlerts", COMMIT_ALERTS);
    define("wkRateTake", RATE_TAKE);
    define("wkEnqueue", ENQUEUE_INTENT);
    define("wkDispatch", DISPATCH_INTENT);
    define("wkClaim", CLAIM);
    define("wkRecordOutcome", RECORD_OUTCOME);
    define("wkHeartbeat", RECORD_HEARTBEAT);
    define("wkExpireSilence", EXPIRE_SILENCE);
    define("wkPrune", PRUNE);
    define("wkPruneHistory", PRUNE_HISTORY);
    define("wkDeliveryState", DELIVERY_STATE);
    define("wkLaneHead", LANE_HEAD);
    define("wkReplaceGarbageAlert", REPLACE_GARBAGE_ALERT);
    this.notice = options.onNotice ?? (() => undefined);
  }

  /** Connects to `url` (redis://[:password@]host:port/db) and checks that Redis answers. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    // While Redis is away commands fail and /readyz says so; ioredis reconnects by itself.
    redis.on("error", () => undefined);
    await redis.connect();
    await redis.ping();
    return new RedisStore(redis, options);
  }

  private k(...parts: Array<string | number>): string {
    return [this.prefix, ...parts].join(":");
  }

  // --- alerts ---------------------------------------------------------------------------------

  async readAlerts(monitorId: string): Promise<VersionedAlert[]> {
    const keys = await this.redis.smembers(this.k("alerts", "monitor", monitorId));
    return this.readMany(keys, monitorId);
  }

  async readAlert(dedupKey: string): Promise<VersionedAlert | null> {
    return (await this.readMany([dedupKey]))[0] ?? null;
  }

  async alertsOf(monitorId: string): Promise<Alert[]> {
    return (await this.readAlerts(monitorId)).map((r) => r.alert);
  }

  async allAlerts(): Promise<Alert[]> {
    const keys = await this.redis.smembers(this.k("alerts", "all"));
    const alerts = (await this.readMany(keys)).map((r) => r.alert);
    return alerts.sort((a, b) => (a.monitorId === b.monitorId ? byCodeUnits(a.dedupKey, b.dedupKey) : byCodeUnits(a.monitorId, b.monitorId)));
  }

  async alertStates(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.k("alerts", "states"));
    const out: Record<string, number> = {};
    for (const [state, n] of Object.entries(raw)) if (Number(n) > 0) out[state] = Number(n);
    return out;
  }

  recordEvaluation(c: EvaluationCommit): Promise<CommitOutcome> {
    return this.commit(c, c.results);
  }

  commitAlerts(c: AlertCommit): Promise<CommitOutcome> {
    return this.commit(c, []);
  }

  /**
   * A batch of evaluations in one round trip (a pipeline of the commit script): each entry is
   * still its own atomic script, so one that fails (or conflicts) leaves the others committed.
   * Rollups stay in the script (HINCRBY into shared buckets): replicas share a monitor's buckets,
   * so no process can hold them in memory. Throws when Redis cannot be reached.
   */
  async recordEvaluations(commits: readonly EvaluationCommit[]): Promise<EvaluationOutcome[]> {
    if (commits.length === 0) return [];
    const pipe = this.redis.pipeline();
    const bad = new Map<number, unknown>();
    commits.forEach((c, n) => {
      try {
        pipe.wkCommitAlerts(this.prefix, JSON.stringify(this.payloadOf(c, c.results)));
      } catch (error) {
        bad.set(n, error);
      }
    });
    const replies = bad.size === commits.length ? [] : ((await pipe.exec()) ?? []);
    let reply = 0;
    return commits.map((_, n): EvaluationOutcome => {
      if (bad.has(n)) return { kind: "failed", error: bad.get(n) };
      const [error, value] = replies[reply++] ?? [new Error("Redis answered no reply for this commit"), null];
      if (error) return { kind: "failed", error };
      return outcomeOf(value as string);
    });
  }

  // --- results --------------------------------------------------------------------------------

  async recentResults(monitorId: string, limit = RECENT_RESULTS): Promise<ResultRow[]> {
    const key = this.k("results", "w", monitorId);
    return this.resultsOf(key, monitorId, await this.redis.zrevrange(key, 0, limit - 1));
  }

  async latestResults(): Promise<Map<string, ResultRow>> {
    const key = this.k("results", "latest");
    const out = new Map<string, ResultRow>();
    for (const [m, j] of Object.entries(await this.redis.hgetall(key))) for (const row of this.resultsOf(key, m, [j])) out.set(m, row);
    return out;
  }

  erroringSince(): Promise<Map<string, number>> {
    return this.timesIn(this.k("results", "erroring", "since"));
  }

  erroringEnded(): Promise<Map<string, number>> {
    return this.timesIn(this.k("results", "erroring", "ended"));
  }

  /** A hash of monitor id to a time; a field that is not a time is left out. */
  private async timesIn(key: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [m, at] of Object.entries(await this.redis.hgetall(key))) {
      const t = Number(at);
      if (Number.isFinite(t) && t > 0) out.set(m, t);
    }
    return out;
  }

  /**
   * Stored results as rows; one that is not a result Watchkeeper wrote is left out and its key named
   * once, rather than answering every page that shows results with a 500.
   */
  private resultsOf(key: string, monitorId: string, jsons: string[]): ResultRow[] {
    const rows: ResultRow[] = [];
    for (const json of jsons) {
      const row = parseStoredResult(json, monitorId);
      if (row !== null) rows.push(row);
      else if (!this.reported.has(key)) {
        this.reported.add(key);
        this.notice("error", `Redis key ${key} holds a result Watchkeeper did not write (not JSON, or without its time or verdict): it is left out of the pages and the API. Do not edit result keys in Redis.`);
      }
    }
    return rows;
  }

  // --- history --------------------------------------------------------------------------------

  async rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): Promise<RollupBucket[]> {
    const width = ROLLUP_WIDTH_MS[resolution];
    const starts = await this.redis.zrangebyscore(this.k("rollups", width, monitorId), since, `(${until}`);
    if (starts.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const start of starts) pipe.hgetall(this.k("rollup", width, monitorId, start));
    const out: RollupBucket[] = [];
    ((await pipe.exec()) ?? []).forEach(([error, value], n) => {
      const h = value as Record<string, string>;
      if (error || !h || h["c"] === undefined) return;
      const bins: Bins = new Map();
      for (const [field, count] of Object.entries(h)) if (/^\d+$/.test(field)) bins.set(Number(field), Number(count));
      out.push(rollupBucket(Number(starts[n]), Number(h["c"]), Number(h["f"] ?? 0), Number(h["e"] ?? 0), Number(h["x"] ?? 0), bins));
    });
    return out;
  }

  async resultsBetween(monitorId: string, since: number, until: number, limit: number): Promise<ResultRow[]> {
    const key = this.k("results", "w", monitorId);
    return this.resultsOf(key, monitorId, await this.redis.zrevrangebyscore(key, `(${until}`, since, "LIMIT", 0, limit));
  }

  async alertEvents(dedupKey: string): Promise<AlertEvent[]> {
    return (await this.redis.lrange(this.k("history", "alert", dedupKey), 0, -1)).map((j) => JSON.parse(j) as AlertEvent);
  }

  async deliveryAttempts(dedupKey: string): Promise<DeliveryAttemptEvent[]> {
    return (await this.redis.lrange(this.k("history", "attempts", dedupKey), 0, -1)).map((j) => {
      const a = JSON.parse(j) as Record<string, unknown>;
      // Written by Lua: absent means null, and the time travels as a string.
      return {
        dedupKey: String(a["dedupKey"]),
        intentId: String(a["intentId"]),
        type: String(a["type"]),
        destination: String(a["destination"]),
        at: Number(a["at"]),
        attempt: Number(a["attempt"]),
        outcome: a["outcome"] as DeliveryAttemptEvent["outcome"],
        vendorStatus: a["vendorStatus"] === undefined || a["vendorStatus"] === null ? null : Number(a["vendorStatus"]),
        detail: typeof a["detail"] === "string" ? a["detail"] : null,
      };
    });
  }

  async alertDiagnostics(dedupKey: string): Promise<string | null> {
    const newest = await this.redis.lindex(this.k("history", "diagnostics", dedupKey), -1);
    return newest === null ? null : String((JSON.parse(newest) as { text: unknown }).text);
  }

  // --- outbox ---------------------------------------------------------------------------------

  /** Queues one intent; a trigger's diagnostics (the emergency page's) are recorded with it. */
  async enqueue(intent: NotificationIntent): Promise<number> {
    const [d] = diagnosticsOf([intent]);
    return Number(await this.redis.wkEnqueue(this.prefix, intent.id, intent.dedupKey, JSON.stringify(intent), String(intent.at), d ? JSON.stringify(d) : "", String(intent.at)));
  }

  async undispatched(limit: number): Promise<StoredIntent[]> {
    const seqs = await this.redis.zrange(this.k("outbox", "pending"), 0, limit - 1);
    if (seqs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const seq of seqs) pipe.hmget(this.k("outbox", "item", seq), "i", "c", "id", "k");
    const rows = (await pipe.exec()) ?? [];
    const out: StoredIntent[] = [];
    for (const [n, [error, value]] of rows.entries()) {
      const [json, created, id, dedupKey] = (value as Array<string | null>) ?? [];
      if (error) continue;
      if (!json) {
        // Its item is gone (evicted by a Redis short of memory, deleted by hand): a place in the
        // outbox with nothing to send, and enough of them at its head would hide every intent.
        await this.redis.zrem(this.k("outbox", "pending"), seqs[n]!);
        continue;
      }
      const read = parseStoredIntent(json, { id, dedupKey });
      if (read.kind === "intent") out.push({ seq: Number(seqs[n]), intent: read.intent, createdAt: Number(created) });
      else await this.setAsideGarbageIntent(Number(seqs[n]), dedupKey ?? null, read.problem);
    }
    return out;
  }

  /**
   * An outbox item that is not an intent Watchkeeper wrote (docs/scale-out.md, "Keys edited by
   * hand") is marked dispatched with no deliveries and named once: every replica reads the outbox
   * oldest first, and one unreadable item would otherwise hold back every page queued after it.
   */
  private async setAsideGarbageIntent(seq: number, dedupKey: string | null, problem: string): Promise<void> {
    await this.markDispatched(seq, Date.now());
    const alert = dedupKey ? ` of the alert ${JSON.stringify(dedupKey.slice(0, 300))}` : "";
    this.notice(
      "error",
      `Redis key ${this.k("outbox", "item", seq)} was not an intent Watchkeeper wrote (${problem}): the notification${alert} it held is not sent, and the outbox goes on with the next one. ` +
        "If that alert is firing, check its incident at the vendor. Do not edit outbox keys in Redis.",
    );
  }

  async markDispatched(seq: number, at: number): Promise<void> {
    await this.redis.wkDispatch(this.prefix, String(seq), String(at), JSON.stringify({ intentId: "", dedupKey: "", monitorId: "", type: "", intent: "", observe: false, deliveries: [] }));
  }

  async depth(): Promise<number> {
    return this.redis.zcard(this.k("outbox", "pending"));
  }

  // --- deliveries -----------------------------------------------------------------------------

  async dispatchIntent(stored: StoredIntent, deliveries: NewDelivery[], now: number): Promise<boolean> {
    return (await this.dispatchIntentHeads(stored, deliveries, now)) !== null;
  }

  async dispatchIntentHeads(stored: StoredIntent, deliveries: NewDelivery[], now: number): Promise<LaneHead[] | null> {
    const i = stored.intent;
    const payload = {
      intentId: i.id,
      dedupKey: i.dedupKey,
      monitorId: i.monitorId,
      type: i.type,
      intent: JSON.stringify(i),
      observe: true,
      deliveries: deliveries.map((d) => ({
        destination: d.destination,
        status: d.status,
        due: String(d.due),
        reason: d.reason,
        detail: d.status === "suppressed" ? suppressedAttempt(d.reason).detail : null,
      })),
    };
    const answer = await this.redis.wkDispatch(this.prefix, String(stored.seq), String(now), JSON.stringify(payload));
    if (!Array.isArray(answer)) return null;
    const heads: LaneHead[] = [];
    for (let n = 1; n + 1 < answer.length; n += 2) heads.push({ id: Number(answer[n]), due: Number(answer[n + 1]) });
    return heads;
  }

  async deliveryState(id: number): Promise<DeliveryState | null> {
    const json = await this.redis.wkDeliveryState(this.prefix, String(id));
    if (json === null) return null;
    const d = JSON.parse(json) as Record<string, string | boolean>;
    const claimed = d["claimedUntil"] as string;
    const read = parseStoredIntent(d["intent"] as string);
    if (read.kind === "garbage") {
      if (d["status"] === "pending") await this.setAsideGarbageDelivery(id, Number(d["attempts"]), read.problem);
      return null;
    }
    return {
      row: {
        id,
        intent: read.intent,
        destination: d["destination"] as string,
        attempts: Number(d["attempts"]),
        firstDueAt: Number(d["first"]),
        nextAttemptAt: Number(d["next"]),
        ...firstFailedRead(d["firstFailed"] as string | undefined),
        ...owedToRead(d["owedTo"] as string | undefined),
      },
      status: d["status"] as DeliveryStatus,
      head: d["head"] === true,
      claimedUntil: claimed === "" ? null : Number(claimed),
    };
  }

  async laneHead(dedupKey: string, destination: string): Promise<LaneHead | null> {
    const head = await this.redis.wkLaneHead(this.prefix, dedupKey, destination);
    return head === null ? null : { id: Number(head[0]), due: Number(head[1]) };
  }

  async dueHeads(now: number, limit: number, perDestination = limit): Promise<DeliveryRow[]> {
    const heads: DeliveryRow[] = [];
    const taken = new Map<string, number>();
    // Pages of the due index, oldest first, until `limit` heads are found: a destination past its
    // share is skipped, not allowed to fill the window. Bounded, so a huge backlog costs a few pages.
    for (let offset = 0, pages = 0; heads.length < limit && pages < 20; offset += limit, pages++) {
      const ids = await this.redis.zrangebyscore(this.k("delivery", "heads"), "-inf", now, "LIMIT", offset, limit);
      for (const d of await this.deliveries(ids)) {
        if (d.status !== "pending" || heads.length >= limit) continue;
        if (d.intent === null) {
          await this.setAsideGarbageDelivery(d.id, d.attempts, d.intentProblem ?? "");
          continue;
        }
        const n = taken.get(d.destination) ?? 0;
        taken.set(d.destination, n + 1);
        if (n < perDestination) heads.push({ id: d.id, intent: d.intent, destination: d.destination, attempts: d.attempts, firstDueAt: d.firstDueAt, nextAttemptAt: d.nextAttemptAt, ...firstFailedRead(d.firstFailed), ...owedToRead(d.owedTo) });
      }
      if (ids.length < limit) break;
    }
    return heads;
  }


  async claim(ids: number[], now: number, leaseMs: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const token = randomUUID();
    // On this process's own clock: only the time elapsed since the claim counts.
    const heldUntil = Date.now() + leaseMs - CLAIM_MARGIN_MS;
    const reply = await this.redis.wkClaim(this.prefix, String(now), String(now + leaseMs), token, ...ids.map(String));
    const won: number[] = [];
    for (let n = 0; n + 1 < reply.length; n += 2) {
      const id = Number(reply[n]);
      won.push(id);
      this.claims.delete(id);
      this.claims.set(id, { token, heldUntil, attempts: Number(reply[n + 1]) || 0 });
    }
    // Only a process that claims and never records (its sends keep crashing) grows this; keep it bounded.
    for (const id of this.claims.keys()) {
      if (this.claims.size <= MAX_HELD_CLAIMS) break;
      this.claims.delete(id);
    }
    return won;
  }

  async recordOutcome({ id, attemptsBefore: read, outcome, now, logged }: AttemptRecord): Promise<void> {
    const attemptsBefore = this.attemptsBefore(id, read);
    let row: { status: DeliveryStatus; attempts: number; next: number; sentAt: number | null; error: string | null; vendorStatus: number | null; answer: string | null };
    switch (outcome.kind) {
      case "sent":
        row = { status: "sent", attempts: attemptsBefore + 1, next: now, sentAt: outcome.at, error: null, vendorStatus: outcome.status, answer: outcome.answer };
        break;
      case "retry":
        row = { status: "pending", attempts: attemptsBefore + 1, next: outcome.at, sentAt: null, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null };
        break;
      case "deferred":
        row = { status: "pending", attempts: attemptsBefore, next: outcome.at, sentAt: null, error: outcome.reason, vendorStatus: null, answer: null };
        break;
      case "failed":
        row = { status: "failed", attempts: attemptsBefore + 1, next: now, sentAt: null, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null };
        break;
    }
    const sent = outcome.kind === "sent" && logged ? { field: `${logged.dedupKey}\n${logged.destination}`, state: logged.state } : null;
    await this.outcome(id, { ...row, now, logged: sent, ref: outcome.kind === "sent" ? outcome.ref : null, owedTo: owedToWrite(outcome), failed: outcome.kind === "retry", attempt: attemptPayload(attemptOfOutcome(outcome, attemptsBefore)) });
  }

  async markSkipped(id: number, read: number, reason: string, now: number): Promise<void> {
    const attempts = this.attemptsBefore(id, read);
    await this.outcome(id, {
      status: "skipped", attempts, next: now, now, sentAt: null, error: reason, vendorStatus: null, answer: null, logged: null, ref: null,
      attempt: attemptPayload(skippedAttempt(attempts, reason)),
    });
  }

  /**
   * The attempts before this one: the caller read them before its claim, which may have counted
   * the attempt of a claimant that died mid-send (CLAIM); that attempt is not written away.
   */
  private attemptsBefore(id: number, read: number): number {
    return Math.max(read, this.claims.get(id)?.attempts ?? 0);
  }

  async nextDueAt(): Promise<number | null> {
    const first = await this.redis.zrange(this.k("delivery", "pending"), 0, 0, "WITHSCORES");
    return first.length === 2 ? Number(first[1]) : null;
  }

  pendingCount(): Promise<number> {
    return this.redis.zcard(this.k("delivery", "pending"));
  }

  async deliveriesForAlert(dedupKey: string): Promise<DeliveryRecord[]> {
    return (await this.deliveries(await this.redis.lrange(this.k("delivery", "alert", dedupKey), 0, -1))).map(toRecord);
  }

  async recentDeliveries(limit: number): Promise<DeliveryRecord[]> {
    return (await this.deliveries(await this.redis.zrevrange(this.k("delivery", "recent"), 0, limit - 1))).map(toRecord);
  }

  async lastSent(dedupKey: string, destination: string): Promise<{ state: string; ref: string | null } | null> {
    const field = `${dedupKey}\n${destination}`;
    const [state, ref] = await Promise.all([this.redis.hget(this.k("notifylog", "state"), field), this.redis.hget(this.k("notifylog", "ref"), field)]);
    return state === null ? null : { state, ref };
  }

  async isMonitorFiring(monitorId: string): Promise<boolean> {
    return (await this.redis.scard(this.k("firing", "monitor", monitorId))) > 0;
  }

  // --- silences -------------------------------------------------------------------------------

  async addSilence(input: NewSilence, now: number): Promise<Silence> {
    const id = `api-${randomUUID()}`;
    await this.redis
      .multi()
      .hset(this.k("silence", id), { comment: input.comment, createdBy: input.createdBy, created: String(now), starts: String(input.startsAt), ends: String(input.endsAt), matchers: JSON.stringify(input.matchers) })
      .zadd(this.k("silences", "ends"), input.endsAt, id)
      .hset(this.k("silence-record", id), { comment: input.comment, createdBy: input.createdBy, created: String(now), starts: String(input.startsAt), ends: String(input.endsAt), matchers: JSON.stringify(input.matchers) })
      .zadd(this.k("silence-records", "ends"), input.endsAt, id)
      .publish(this.k("changes"), "*")
      .exec();
    return { id, kind: "silence", origin: "api", ...input };
  }

  async expireSilence(id: string, now: number, expiredBy: string | null = null): Promise<boolean> {
    return (await this.redis.wkExpireSilence(this.prefix, id, String(now), expiredBy ?? "")) === 1;
  }

  async silenceRecords(since: number, until: number): Promise<SilenceRecord[]> {
    const ids = await this.redis.zrangebyscore(this.k("silence-records", "ends"), `(${since}`, "+inf");
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.k("silence-record", id));
    const out: SilenceRecord[] = [];
    ((await pipe.exec()) ?? []).forEach(([error, value], n) => {
      const h = value as Record<string, string>;
      if (error || !h || h["ends"] === undefined || Number(h["starts"]) >= until) return;
      const silence = this.silenceOf(ids[n]!, h, "silence-record");
      if (silence) out.push({ ...silence, createdAt: Number(h["created"]), expiredAt: numberOrNull(h["expired"] ?? null), expiredBy: h["expiredBy"] ?? null });
    });
    return out.sort((a, b) => a.createdAt - b.createdAt || byCodeUnits(a.id, b.id));
  }

  async currentSilences(now: number): Promise<Silence[]> {
    const ids = await this.redis.zrangebyscore(this.k("silences", "ends"), `(${now}`, "+inf");
    const found = await Promise.all(ids.map(async (id) => [id, await this.redis.hgetall(this.k("silence", id))] as const));
    return found
      .filter(([, h]) => h["ends"] !== undefined)
      .sort(([a, ha], [b, hb]) => Number(ha["created"]) - Number(hb["created"]) || byCodeUnits(a, b))
      .flatMap(([id, h]) => this.silenceOf(id, h, "silence") ?? []);
  }

  async silenceById(id: string): Promise<Silence | null> {
    const h = await this.redis.hgetall(this.k("silence", id));
    return h["ends"] === undefined ? null : this.silenceOf(id, h, "silence");
  }

  /**
   * A silence hash as a silence, or null (named once) when its matchers are not what Watchkeeper
   * wrote: a silence that cannot be read mutes nothing, rather than failing the silence stage of
   * every notification (docs/scale-out.md, "Keys edited by hand").
   */
  private silenceOf(id: string, h: Record<string, string>, kind: "silence" | "silence-record"): Silence | null {
    const matchers = parseStoredMatchers(h["matchers"]);
    if (matchers !== null) return toSilence(id, h, matchers);
    const name = this.k(kind, id);
    if (!this.reported.has(name)) {
      this.reported.add(name);
      this.notice("error", `Redis key ${name} is not a silence Watchkeeper wrote (its matchers are not an object of monitors, services and labels): it mutes nothing. Expire it (DELETE /api/silences/${id}) or delete the key; do not edit silence keys in Redis.`);
    }
    return null;
  }

  // --- inbound --------------------------------------------------------------------------------

  async lastHeartbeat(monitorId: string): Promise<number | null> {
    return numberOrNull(await this.redis.hget(this.k("heartbeats"), monitorId));
  }

  async recordHeartbeat(monitorId: string, at: number): Promise<void> {
    await this.redis.wkHeartbeat(this.prefix, monitorId, String(at), String(HEARTBEAT_CLOCK_SLACK_MS));
  }

  async lastUptimeReport(monitorId: string): Promise<UptimeReport | null> {
    const json = await this.redis.hget(this.k("uptime"), monitorId);
    return json === null ? null : (JSON.parse(json) as UptimeReport);
  }

  async recordUptimeReport(monitorId: string, report: UptimeReport): Promise<void> {
    await this.redis.hset(this.k("uptime"), monitorId, JSON.stringify({ up: report.up, message: report.message, at: report.at }));
  }

  async lastEmergency(monitorId: string): Promise<{ at: number; message: string } | null> {
    const json = await this.redis.hget(this.k("emergencies"), monitorId);
    return json === null ? null : (JSON.parse(json) as { at: number; message: string });
  }

  async recordEmergency(monitorId: string, at: number, message: string): Promise<void> {
    await this.redis.hset(this.k("emergencies"), monitorId, JSON.stringify({ at, message }));
  }

  async lastEmergencyResolved(monitorId: string): Promise<number | null> {
    return numberOrNull(await this.redis.hget(this.k("emergency-resolutions"), monitorId));
  }

  async recordEmergencyResolved(monitorId: string, at: number): Promise<void> {
    await this.redis.hset(this.k("emergency-resolutions"), monitorId, String(at));
  }

  /** The emergency form's key, the same on every replica of this Redis and prefix: made at random by the first to ask. */
  async emergencyFormKey(): Promise<string> {
    const key = this.k("emergency-form-key");
    const held = await this.redis.get(key);
    if (held !== null) return held;
    await this.redis.set(key, randomBytes(32).toString("hex"), "NX");
    const made = await this.redis.get(key);
    if (made === null) throw new Error(`${key} was removed as it was made`);
    return made;
  }

  /**
   * Counts a password attempt in Redis (a sliding log per scope and client, as delivery rate
   * limits are kept), so every replica behind the load balancer holds one limit together. The
   * log is kept on Redis's clock, not `now`: a replica more than a minute ahead would drop every
   * other replica's attempts as expired, and one behind would see theirs as still to come.
   */
  async countAttempt(scope: string, key: string, perMinute: number, _now: number): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    const waitMs = Number(await this.redis.wkRateTake(this.k("attempts"), `${scope}:${key}`, String(perMinute), "60000", "", "1", "0"));
    return waitMs <= 0 ? { ok: true } : { ok: false, retryAfterMs: waitMs };
  }

  /** A browser session signed out, in a sorted set by when it would have expired (every replica reads it). */
  async recordSignOut(sessionId: string, until: number): Promise<void> {
    await this.redis.zadd(this.k("signed-out"), until, sessionId);
  }

  async signedOutSessions(now: number): Promise<SignedOut[]> {
    const flat = await this.redis.zrangebyscore(this.k("signed-out"), now, "+inf", "WITHSCORES");
    const out: SignedOut[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ sessionId: flat[i]!, until: Number(flat[i + 1]) });
    return out;
  }

  async seenWebhookEvent(id: string): Promise<boolean> {
    return (await this.redis.zscore(this.k("webhook-ids"), id)) !== null;
  }

  async firstWebhookEvent(id: string, now: number): Promise<boolean> {
    return (await this.redis.zadd(this.k("webhook-ids"), "NX", now, id)) === 1;
  }

  async forgetWebhookEvent(id: string): Promise<void> {
    await this.redis.zrem(this.k("webhook-ids"), id);
  }

  // --- retention and health -------------------------------------------------------------------

  /**
   * One call prunes what PRUNE finds (at most `limit` per kind) and walks monitors' results
   * windows and rollups, a hundred monitors per script, until `limit` rows went or the walk ends;
   * the next call goes on from there.
   */
  async prune(now: number, retention: RetentionMs, limit: number): Promise<number> {
    const cutoffs = {
      notifications: String(now - retention.notifications),
      silences: String(now - retention.silences),
      webhookIds: String(now - Math.max(retention.inbound, this.webhookReplayWindowMs)),
      resolvedAlerts: String(now - retention.resolvedAlerts),
      results: String(now - retention.results),
    };
    let deleted = Number(await this.redis.wkPrune(this.prefix, String(limit), JSON.stringify(cutoffs)));
    deleted += await this.redis.zremrangebyscore(this.k("signed-out"), "-inf", `(${now}`);
    const history = JSON.stringify({
      results: String(now - retention.results),
      minute: String(now - retention.minuteRollups),
      hour: String(now - retention.rollups),
      keep: String(RECENT_RESULTS),
      minuteWidth: String(ROLLUP_WIDTH_MS.minute),
      hourWidth: String(ROLLUP_WIDTH_MS.hour),
      dayWidth: String(ROLLUP_WIDTH_MS.day),
    });
    do {
      const [n, next] = await this.redis.wkPruneHistory(this.prefix, this.historyCursor, String(HISTORY_WALK_STEP), history);
      deleted += Number(n);
      this.historyCursor = next;
    } while (this.historyCursor !== "" && deleted < limit);
    return deleted;
  }

  async writable(at: number): Promise<boolean> {
    try {
      return (await this.redis.set(this.k("probe"), String(at))) === "OK";
    } catch {
      return false;
    }
  }

  /**
   * Hears the changes every replica commits (published by the commit scripts on `{prefix}:changes`).
   * The first watcher opens the subscriber connection, the last one to stop closes it.
   */
  async watchChanges(listener: (monitors: ChangedMonitors) => void): Promise<() => void> {
    this.watchers.add(listener);
    if (!this.subscriber) {
      const sub = this.redis.duplicate();
      sub.on("error", () => undefined);
      this.subscriber = sub;
      sub.on("message", (_channel: string, message: string) => {
        let monitors: ChangedMonitors = null;
        if (message !== "*") {
          try {
            monitors = (JSON.parse(message) as unknown[]).map(String);
          } catch {
            monitors = null;
          }
        }
        for (const w of this.watchers) w(monitors);
      });
      await sub.subscribe(this.k("changes"));
    }
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0 && this.subscriber) {
        const sub = this.subscriber;
        this.subscriber = null;
        void sub.quit().catch(() => sub.disconnect());
      }
    };
  }

  async close(): Promise<void> {
    if (this.subscriber) {
      const sub = this.subscriber;
      this.subscriber = null;
      await sub.quit().catch(() => sub.disconnect());
    }
    if (this.redis.status === "end") return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // --- helpers --------------------------------------------------------------------------------

  private async commit(c: AlertCommit, results: ResultRow[]): Promise<CommitOutcome> {
    return outcomeOf(await this.redis.wkCommitAlerts(this.prefix, JSON.stringify(this.payloadOf(c, results))));
  }

  private payloadOf(c: AlertCommit, results: ResultRow[]) {
    return {
      alerts: c.alerts.map((a) => ({ key: a.dedupKey, monitorId: a.monitorId, state: a.state, updatedAt: String(a.updatedAt), evaluatedAt: typeof a.evaluatedAt === "number" ? String(a.evaluatedAt) : "", data: JSON.stringify(a) })),
      // An empty object would reach Lua as an empty array; a placeholder key keeps it a map.
      expected: { "\u0000": 0, ...c.readVersions },
      results: results.map((r) => ({ monitorId: r.monitorId, at: String(r.at), json: JSON.stringify({ ...r, error: r.error ?? null }), errored: r.error !== null && r.error !== undefined })),
      rollups: this.rollupsOf(results),
      events: (c.events ?? []).map((e) => ({ key: e.dedupKey, at: String(e.at), json: JSON.stringify(e) })),
      diagnostics: diagnosticsOf(c.intents).map((d) => ({ key: d.dedupKey, at: String(d.at), json: JSON.stringify(d) })),
      intents: c.intents.map((i) => ({ id: i.id, key: i.dedupKey, json: JSON.stringify(i) })),
      at: String(c.at),
    };
  }

  /** What the commit adds to each rollup bucket: one hash per bucket, a field per latency bin. */
  private rollupsOf(results: ResultRow[]) {
    const out = [];
    for (const width of [ROLLUP_WIDTH_MS.minute, ROLLUP_WIDTH_MS.hour, ROLLUP_WIDTH_MS.day]) {
      const byMonitor = new Map<string, ResultRow[]>();
      for (const r of results) byMonitor.set(r.monitorId, [...(byMonitor.get(r.monitorId) ?? []), r]);
      for (const [monitorId, rows] of byMonitor) {
        for (const d of rollupDeltas(rows, width)) {
          out.push({
            key: ["rollup", width, monitorId, d.start].join(":"),
            index: ["rollups", width, monitorId].join(":"),
            start: String(d.start),
            count: d.count,
            failures: d.failures,
            errors: d.errors,
            max: String(d.maxMs),
            bins: [...d.bins.entries()].flatMap(([bin, n]) => [String(bin), n]),
          });
        }
      }
    }
    return out;
  }

  /**
   * Reads alerts by dedup key. A key that is not an alert Watchkeeper wrote is replaced (see
   * replaceGarbage) and read again, so one bad key never stops its monitor's ticks or any view.
   */
  private async readMany(keys: string[], monitorId = "", again = true): Promise<VersionedAlert[]> {
    if (keys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const key of keys) pipe.hmget(this.k("alert", key), "d", "v");
    const out: VersionedAlert[] = [];
    const replies = (await pipe.exec()) ?? [];
    for (const [n, key] of keys.entries()) {
      const [error, value] = replies[n] ?? [new Error("no reply"), null];
      if (error) {
        if (/WRONGTYPE/.test(String(error))) await this.replaceGarbage(key, "other", null, null, monitorId, "it is not a hash", out, again);
        continue;
      }
      const [d, v] = (value as Array<string | null>) ?? [null, null];
      const stored = parseStoredAlert(key, d ?? null, v ?? null);
      if (stored.kind === "alert") out.push(stored.read);
      else if (stored.kind === "garbage") await this.replaceGarbage(key, "hash", d ?? null, v ?? null, monitorId, stored.problem, out, again);
    }
    return out;
  }

  /**
   * Treats a garbage alert key as a lost alert state (docs/scale-out.md, "Keys edited by hand"):
   * replaces it, unless it changed meanwhile, with an inactive alert that keeps the alert's intent
   * sequence, says so once, and reads the replacement into `out`.
   */
  private async replaceGarbage(key: string, seen: "hash" | "other", d: string | null, v: string | null, monitorId: string, problem: string, out: VersionedAlert[], again: boolean): Promise<void> {
    const name = this.k("alert", key);
    let answer: string;
    try {
      answer = await this.redis.wkReplaceGarbageAlert(this.prefix, key, seen, d ?? "", v ?? "", monitorId);
    } catch (error) {
      if (!this.reported.has(name)) {
        this.reported.add(name);
        this.notice("error", `Redis key ${name} is not an alert Watchkeeper wrote (${problem}) and could not be replaced (${error instanceof Error ? error.message : String(error)}); it is left out until it can be: delete it (redis-cli DEL '${name}') to let the alert start again from no state`);
      }
      return;
    }
    if (answer === "changed") {
      if (again) out.push(...(await this.readMany([key], monitorId, false)));
      return;
    }
    this.reported.delete(name);
    this.notice(
      "error",
      `Redis key ${name} was not an alert Watchkeeper wrote (${problem}): the alert's state is lost, and it was ${answer === "removed" ? "removed" : "replaced with an inactive alert"}. ` +
        "A monitor still failing fires again under the same dedup key; if that alert was firing and its check has recovered, resolve its incident at the vendor by hand. Do not edit alert keys in Redis.",
    );
    if (answer === "removed") return;
    const stored = parseStoredAlert(key, answer, "1");
    if (stored.kind === "alert") out.push(stored.read);
  }

  private async deliveries(ids: string[]): Promise<StoredDelivery[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.k("delivery", id));
    const out: StoredDelivery[] = [];
    ((await pipe.exec()) ?? []).forEach(([error, value], n) => {
      const h = value as Record<string, string>;
      if (!error && h && h["intent"] !== undefined) out.push(toStored(Number(ids[n]), h));
    });
    return out;
  }

  /**
   * A delivery whose intent is not what Watchkeeper wrote (docs/scale-out.md, "Keys edited by
   * hand") cannot be sent: it is recorded as failed, which moves its lane on, and named, rather
   * than failing every look for due deliveries and its job for good.
   */
  private async setAsideGarbageDelivery(id: number, attempts: number, problem: string): Promise<void> {
    const reason = `${UNREADABLE_INTENT} (${problem})`;
    await this.recordOutcome({ id, attemptsBefore: Number.isSafeInteger(attempts) ? attempts : 0, outcome: { kind: "failed", reason, status: null, answer: "" }, now: Date.now() });
    this.notice("error", `Redis key ${this.k("delivery", id)} was not a delivery Watchkeeper wrote (${problem}): it is recorded as failed and not sent. If its alert is firing, check its incident at the vendor. Do not edit delivery keys in Redis.`);
  }

  /**
   * Records an outcome under this process's claim of the delivery: a replica that outlived its
   * lease and was replaced by another claimant writes nothing (docs/scale-out.md, "Claim, then send").
   */
  private async outcome(id: number, c: Record<string, unknown> & { next: number; now: number; sentAt: number | null }): Promise<void> {
    const held = this.claims.get(id);
    const claim = held?.token ?? "";
    const payload = { ...c, claim, next: String(c.next), now: String(c.now), sentAt: c.sentAt === null ? null : String(c.sentAt), vendorStatus: c["vendorStatus"] === null ? null : String(c["vendorStatus"]) };
    const { recorded, rewritten } = await this.writeWhileClaimed(held?.heldUntil ?? 0, () => this.redis.wkRecordOutcome(this.prefix, String(id), JSON.stringify(payload)));
    if (this.claims.get(id) === held) this.claims.delete(id);
    // A rewrite that finds nothing to do: the write that seemed to fail had landed after all.
    if (Number(recorded) === 0 && claim !== "" && !rewritten) {
      this.notice("warn", `the ${String(c["status"])} outcome of delivery ${id} was not recorded: this replica's claim ended (it outlived its lease, paused or frozen) and another replica took the delivery over or finished it`);
    }
  }

  /**
   * Writes an outcome; when the write fails (the connection dropped for a moment, a failover) and
   * this process still holds the delivery's claim, writes it again with backoff until the claim
   * would end. A send the vendor accepted is then recorded, not left to be sent again when the
   * lease ends (a second page); past the claim another replica may hold it, and the error is thrown.
   */
  private async writeWhileClaimed(heldUntil: number, write: () => Promise<number>): Promise<{ recorded: number; rewritten: boolean }> {
    let waitMs = REWRITE_FIRST_MS;
    for (let rewrites = 0; ; rewrites++) {
      try {
        return { recorded: await write(), rewritten: rewrites > 0 };
      } catch (error) {
        if (Date.now() + waitMs >= heldUntil) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(REWRITE_MAX_MS, waitMs * 2);
      }
    }
  }
}

/** How soon a failed outcome write is tried again, and the longest wait between tries. */
const REWRITE_FIRST_MS = 100;
const REWRITE_MAX_MS = 1_000;

/** An outcome is written again only while the claim lasts this much longer: the write must land inside it. */
const CLAIM_MARGIN_MS = 1_000;

interface StoredDelivery extends DeliveryRecord {
  /** Null when the stored intent is not what Watchkeeper wrote (`intentProblem` says why). */
  intent: NotificationIntent | null;
  intentProblem?: string;
  firstDueAt: number;
  /** The `owedTo` field as stored (JSON), read by owedToRead. */
  owedTo: string | null;
  /** The `firstFailed` field as stored, read by firstFailedRead. */
  firstFailed: string | undefined;
  /** Whether a claim is on it: an attempt under way, or one a dead replica left. */
  claimed: boolean;
}

function toStored(id: number, h: Record<string, string>): StoredDelivery {
  const read = parseStoredIntent(h["intent"]!, { id: h["intentId"] ?? null, dedupKey: h["dedupKey"] ?? null });
  return {
    id,
    intentId: h["intentId"]!,
    destination: h["destination"]!,
    dedupKey: h["dedupKey"]!,
    type: h["type"]!,
    status: h["status"] as DeliveryStatus,
    attempts: Number(h["attempts"]),
    nextAttemptAt: Number(h["next"]),
    firstDueAt: Number(h["first"]),
    sentAt: numberOrNull(h["sent"] ?? null),
    lastError: h["error"] ?? null,
    vendorStatus: numberOrNull(h["vendorStatus"] ?? null),
    vendorAnswer: h["answer"] ?? null,
    ...(read.kind === "intent" ? { intent: read.intent } : { intent: null, intentProblem: read.problem }),
    owedTo: h["owedTo"] ?? null,
    firstFailed: h["firstFailed"],
    claimed: h["claim"] !== undefined,
  };
}

/** The time of a delivery's first retryable failure, as DeliveryRow carries it (absent before one). */
function firstFailedRead(stored: string | undefined): { firstFailedAt?: number } {
  const at = stored ? Number(stored) : NaN;
  return Number.isFinite(at) ? { firstFailedAt: at } : {};
}

/**
 * A delivery as the pages, the API and the stages read it. A pending one under a claim counts that
 * attempt, under way or left by a replica that died mid-send, with no answer yet: the rollout that
 * resolves its alert meanwhile owes the resolve where it may reach (trigger-tried.ts).
 */
function toRecord(d: StoredDelivery): DeliveryRecord {
  const { intent: _intent, intentProblem: _problem, firstDueAt: _first, owedTo: _owed, firstFailed: _failed, claimed, ...record } = d;
  return claimed && record.status === "pending" ? { ...record, attempts: record.attempts + 1, vendorStatus: null } : record;
}

function toSilence(id: string, h: Record<string, string>, matchers: SilenceMatchers): Silence {
  return {
    id,
    kind: "silence",
    origin: "api",
    comment: h["comment"] ?? "",
    createdBy: h["createdBy"] ?? "",
    startsAt: Number(h["starts"]),
    endsAt: Number(h["ends"]),
    matchers,
  };
}


/** Claims held without an outcome that a process remembers; older ones record as if unclaimed. */
const MAX_HELD_CLAIMS = 10_000;

/** How many monitors one PRUNE_HISTORY script looks at: Redis runs nothing else meanwhile. */
const HISTORY_WALK_STEP = 100;

function attemptPayload(a: AttemptFacts | null) {
  return a === null ? null : { attempt: a.attempt, outcome: a.outcome, vendorStatus: a.vendorStatus, detail: a.detail };
}

function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}

/** The commit script's answer: the conflicting dedup keys, or an empty list (an empty map from Lua). */
function outcomeOf(reply: string): CommitOutcome {
  const conflicts = JSON.parse(reply) as string[] | Record<string, never>;
  return Array.isArray(conflicts) && conflicts.length > 0 ? { kind: "conflict", dedupKeys: conflicts } : { kind: "committed" };
}
