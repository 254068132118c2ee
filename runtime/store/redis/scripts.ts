/**
 * The Redis adapter's atomic operations, as Lua scripts: Redis runs a script without interleaving
 * any other command, so each is one transaction across every key it touches. ARGV[1] is always
 * the key prefix; keys are built inside (see docs/scale-out.md for the layout). Numbers that end
 * up in Redis travel as strings, so no float formatting ever touches a timestamp.
 */

/** The last error of a delivery whose claim ended without an outcome (the SQLite adapter writes the same). */
export const LAPSED_CLAIM = "the runtime stopped during an attempt, which may have reached the vendor";

/** Writes one intent into the outbox unless its id is already there; returns its seq. */
const ENQUEUE = `
local function enqueue(p, id, key, json, at)
  local existing = redis.call('HGET', p .. ':outbox:ids', id)
  if existing then return tonumber(existing) end
  local seq = redis.call('INCR', p .. ':outbox:seq')
  redis.call('HSET', p .. ':outbox:ids', id, seq)
  redis.call('HSET', p .. ':outbox:item:' .. seq, 'id', id, 'k', key, 'i', json, 'c', at)
  redis.call('ZADD', p .. ':outbox:pending', seq, seq)
  redis.call('HINCRBY', p .. ':outbox:keys', key, 1)
  return seq
end
`;

/**
 * Appends one history item (an alert transition or a delivery attempt, as JSON) to its alert's
 * list, and indexes the list by its oldest item's time the first time, for the pruner.
 */
const HISTORY_PUSH = `
local function historyPush(p, kind, index, key, at, json)
  if redis.call('RPUSH', p .. ':history:' .. kind .. ':' .. key, json) == 1 then
    redis.call('ZADD', p .. ':history:' .. index, at, key)
  end
end
`;

/**
 * Alert changes (checked against the versions read) with their transitions, result rows with
 * their rollups, and intents, all or nothing. ARGV[2]: JSON { alerts: [{ key, monitorId, state,
 * updatedAt, evaluatedAt ("" for none), data }], expected: { key: version }, results: [{ monitorId, at, json, errored }], rollups:
 * [{ key, index, start, count, failures, errors, max, bins: [bin, n, ...] }], events: [{ key, at,
 * json }], diagnostics: [{ key, at, json }], intents: [{ id, key, json }], at }. Returns a JSON array of conflicting keys ("[]" when
 * committed). Once committed, publishes the monitors whose alerts changed, whose first result this
 * is, or whose latest result started or stopped erroring, as a JSON array on `{p}:changes`.
 */
export const COMMIT_ALERTS = `${ENQUEUE}${HISTORY_PUSH}
local p = ARGV[1]
local c = cjson.decode(ARGV[2])
local conflicts = {}
for _, a in ipairs(c.alerts) do
  local expected = c.expected[a.key]
  local k = p .. ':alert:' .. a.key
  -- A newer tick's evaluation (field e) is never overwritten by an older one's, versions or not.
  local stored = tonumber(redis.call('HGET', k, 'e') or '')
  if stored and a.evaluatedAt ~= '' and tonumber(a.evaluatedAt) < stored then
    table.insert(conflicts, a.key)
  elseif expected ~= nil then
    local v = tonumber(redis.call('HGET', k, 'v') or '0')
    if v ~= tonumber(expected) then table.insert(conflicts, a.key) end
  end
end
if #conflicts > 0 then return cjson.encode(conflicts) end
for _, a in ipairs(c.alerts) do
  local k = p .. ':alert:' .. a.key
  local old = redis.call('HGET', k, 's')
  if old then redis.call('HINCRBY', p .. ':alerts:states', old, -1) end
  redis.call('HINCRBY', p .. ':alerts:states', a.state, 1)
  redis.call('HSET', k, 'd', a.data, 'm', a.monitorId, 's', a.state, 'u', a.updatedAt)
  if a.evaluatedAt ~= '' then redis.call('HSET', k, 'e', a.evaluatedAt) end
  redis.call('HINCRBY', k, 'v', 1)
  redis.call('SADD', p .. ':alerts:monitor:' .. a.monitorId, a.key)
  redis.call('SADD', p .. ':alerts:all', a.key)
  if a.state == 'inactive' then
    redis.call('ZADD', p .. ':alerts:inactive', a.updatedAt, a.key)
  else
    redis.call('ZREM', p .. ':alerts:inactive', a.key)
  end
end
for _, e in ipairs(c.events) do historyPush(p, 'alert', 'alerts', e.key, e.at, e.json) end
for _, d in ipairs(c.diagnostics) do historyPush(p, 'diagnostics', 'diagnosed', d.key, d.at, d.json) end
local changed = {}
for _, a in ipairs(c.alerts) do changed[a.monitorId] = true end
local last = {}
-- Where each monitor's trailing run of erroring (or of running) results in this commit starts.
local from = {}
for _, r in ipairs(c.results) do
  redis.call('ZADD', p .. ':results:w:' .. r.monitorId, r.at, r.json)
  redis.call('HSET', p .. ':results:latest', r.monitorId, r.json)
  if redis.call('ZADD', p .. ':results:monitors', r.at, r.monitorId) == 1 then changed[r.monitorId] = true end
  redis.call('ZADD', p .. ':history:monitors', 0, r.monitorId)
  if last[r.monitorId] ~= r.errored then from[r.monitorId] = r.at end
  last[r.monitorId] = r.errored
end
-- A monitor whose latest result starts or stops erroring changes what the views show; when it
-- starts, the streak's first result is kept (a monitor erroring before this was kept has none);
-- when it ends, the first result that ran after it.
for m, errored in pairs(last) do
  local flipped
  if errored then flipped = redis.call('SADD', p .. ':results:erroring', m) else flipped = redis.call('SREM', p .. ':results:erroring', m) end
  if flipped == 1 then
    changed[m] = true
    if errored then
      redis.call('HSET', p .. ':results:erroring:since', m, from[m])
      redis.call('HDEL', p .. ':results:erroring:ended', m)
    else
      redis.call('HDEL', p .. ':results:erroring:since', m)
      redis.call('HSET', p .. ':results:erroring:ended', m, from[m])
    end
  end
end
for _, u in ipairs(c.rollups) do
  local k = p .. ':' .. u.key
  if redis.call('HINCRBY', k, 'c', u.count) == u.count then redis.call('ZADD', p .. ':' .. u.index, u.start, u.start) end
  if u.failures > 0 then redis.call('HINCRBY', k, 'f', u.failures) end
  if u.errors > 0 then redis.call('HINCRBY', k, 'e', u.errors) end
  local x = redis.call('HGET', k, 'x')
  if not x or tonumber(u.max) > tonumber(x) then redis.call('HSET', k, 'x', u.max) end
  for i = 1, #u.bins, 2 do redis.call('HINCRBY', k, u.bins[i], u.bins[i + 1]) end
end
for _, i in ipairs(c.intents) do enqueue(p, i.id, i.key, i.json, c.at) end
local list = {}
for m in pairs(changed) do table.insert(list, m) end
if #list > 0 then redis.call('PUBLISH', p .. ':changes', cjson.encode(list)) end
return '[]'
`;

/**
 * ARGV: prefix, intent id, dedup key, intent JSON, at, and the trigger's diagnostics record as
 * JSON ("" for none) with its time. A new intent's diagnostics are recorded with it. Returns the seq.
 */
export const ENQUEUE_INTENT = `${ENQUEUE}${HISTORY_PUSH}
local existing = redis.call('HGET', ARGV[1] .. ':outbox:ids', ARGV[2])
if existing then return tonumber(existing) end
if ARGV[6] ~= '' then historyPush(ARGV[1], 'diagnostics', 'diagnosed', ARGV[3], ARGV[7], ARGV[6]) end
return enqueue(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`;

/**
 * Records an intent's deliveries (a suppressed one with its attempt), updates the firing set and
 * marks it dispatched; 0 with nothing written when it is already dispatched (or gone). ARGV:
 * prefix, seq, now, JSON { intentId, dedupKey, monitorId, type, intent, observe, deliveries:
 * [{ destination, status, due, reason, detail }] }. When dispatched, returns { 1, headId, headDue,
 * ... }: the deliveries that became lane heads.
 */
export const DISPATCH_INTENT = `${HISTORY_PUSH}
local p, seq, now = ARGV[1], ARGV[2], ARGV[3]
local c = cjson.decode(ARGV[4])
local item = p .. ':outbox:item:' .. seq
if redis.call('EXISTS', item) == 0 or redis.call('HEXISTS', item, 'dispatched') == 1 then return 0 end
local heads = { 1 }
for _, d in ipairs(c.deliveries) do
  local f = c.intentId .. '\\n' .. d.destination
  if redis.call('HEXISTS', p .. ':delivery:ids', f) == 0 then
    local id = redis.call('INCR', p .. ':delivery:seq')
    redis.call('HSET', p .. ':delivery:ids', f, id)
    local k = p .. ':delivery:' .. id
    redis.call('HSET', k, 'intentId', c.intentId, 'seq', seq, 'destination', d.destination, 'dedupKey', c.dedupKey, 'type', c.type,
      'intent', c.intent, 'status', d.status, 'attempts', 0, 'next', d.due, 'first', d.due, 'created', now, 'updated', now)
    if d.reason ~= cjson.null and d.reason ~= nil then redis.call('HSET', k, 'error', d.reason) end
    redis.call('RPUSH', p .. ':delivery:alert:' .. c.dedupKey, id)
    redis.call('ZADD', p .. ':delivery:recent', id, id)
    if d.status == 'pending' then
      local lane = p .. ':delivery:lane:' .. c.dedupKey .. '\\n' .. d.destination
      redis.call('RPUSH', lane, id)
      if redis.call('LLEN', lane) == 1 then
        redis.call('ZADD', p .. ':delivery:heads', d.due, id)
        table.insert(heads, id)
        table.insert(heads, d.due)
      end
      redis.call('ZADD', p .. ':delivery:pending', d.due, id)
    else
      redis.call('ZADD', p .. ':delivery:finished', now, id)
      historyPush(p, 'attempts', 'attempted', c.dedupKey, now, cjson.encode({ dedupKey = c.dedupKey, intentId = c.intentId, type = c.type,
        destination = d.destination, at = now, attempt = 0, outcome = d.status, vendorStatus = cjson.null, detail = d.detail }))
    end
  end
end
if c.observe then
  if c.type == 'trigger' or c.type == 'remind' then
    if redis.call('HSETNX', p .. ':firing', c.dedupKey, c.monitorId) == 1 then
      redis.call('SADD', p .. ':firing:monitor:' .. c.monitorId, c.dedupKey)
    end
  elseif c.type == 'resolve' then
    local m = redis.call('HGET', p .. ':firing', c.dedupKey)
    if m then
      redis.call('HDEL', p .. ':firing', c.dedupKey)
      redis.call('SREM', p .. ':firing:monitor:' .. m, c.dedupKey)
    end
  end
end
redis.call('HSET', item, 'dispatched', now)
redis.call('ZREM', p .. ':outbox:pending', seq)
redis.call('ZADD', p .. ':outbox:dispatched', now, seq)
return heads
`;

/**
 * A delivery as a queue job needs it, as JSON { intent, destination, status, attempts, first,
 * next, claimedUntil, owedTo, firstFailed, head }, or nil when it is gone. ARGV: prefix, id.
 */
export const DELIVERY_STATE = `
local p, id = ARGV[1], ARGV[2]
local h = redis.call('HMGET', p .. ':delivery:' .. id, 'intent', 'destination', 'dedupKey', 'status', 'attempts', 'first', 'next', 'claimedUntil', 'owedTo', 'firstFailed')
if not h[1] then return nil end
local head = redis.call('LINDEX', p .. ':delivery:lane:' .. h[3] .. '\\n' .. h[2], 0)
return cjson.encode({ intent = h[1], destination = h[2], status = h[4], attempts = h[5], first = h[6], next = h[7],
  claimedUntil = h[8] or '', owedTo = h[9] or '', firstFailed = h[10] or '', head = (head == id) })
`;

/** The head of a lane as { id, next }, or nil. ARGV: prefix, dedup key, destination. */
export const LANE_HEAD = `
local p = ARGV[1]
local id = redis.call('LINDEX', p .. ':delivery:lane:' .. ARGV[2] .. '\\n' .. ARGV[3], 0)
if not id then return nil end
return { id, redis.call('HGET', p .. ':delivery:' .. id, 'next') }
`;

/**
 * Takes `requests` sends (all or none) from a destination's shared rate limit: at most `limit` sends
 * in any `window` ms (a sliding log of send times), and none while the vendor asked us to hold off
 * (Retry-After). Returns 0 when taken, else how many ms to wait. ARGV: prefix, rate key, limit,
 * window, now ("" for Redis's own TIME), requests (at most limit; 1 when absent), the longest hold a
 * runtime sets (ms). A hold or send log the runtime did not write (not a number, another type, a hold
 * further ahead than any it sets) is deleted rather than let it stop every send to the key.
 */
export const RATE_TAKE = `
local p, key, limit, window, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[5] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local need = tonumber(ARGV[6] or '1')
local maxHold = tonumber(ARGV[7] or '0')
local hk = p .. ':rate:hold:' .. key
local held = redis.pcall('GET', hk)
local hold = 0
if held then
  hold = type(held) == 'string' and tonumber(held) or nil
  if hold == nil or (maxHold > 0 and hold > now + maxHold) then
    redis.call('DEL', hk)
    hold = 0
  end
end
if hold > now then return hold - now end
local z = p .. ':rate:' .. key
local zt = redis.call('TYPE', z).ok
if zt ~= 'zset' and zt ~= 'none' then redis.call('DEL', z) end
redis.call('ZREMRANGEBYSCORE', z, '-inf', now - window)
local used = redis.call('ZCARD', z)
if used + need <= limit then
  for _ = 1, need do
    -- The counter is not under ':rate:', where a destination named 'seq' would meet it.
    redis.call('ZADD', z, now, now .. ':' .. redis.call('INCR', p .. ':rates:seq'))
  end
  redis.call('PEXPIRE', z, window)
  return 0
end
-- Room for all of them once the (used + need - limit) oldest sends leave the window.
local freeing = redis.call('ZRANGE', z, used + need - limit - 1, used + need - limit - 1, 'WITHSCORES')
return math.max(1, tonumber(freeing[2]) + window - now)
`;

/** Holds a rate key until `until` (never shortens a longer hold). ARGV: prefix, rate key, until, now. */
export const RATE_HOLD = `
local k = ARGV[1] .. ':rate:hold:' .. ARGV[2]
local untilAt, now = tonumber(ARGV[3]), tonumber(ARGV[4])
local got = redis.pcall('GET', k)
local cur = type(got) == 'string' and tonumber(got) or 0
if untilAt > cur and untilAt > now then redis.call('SET', k, ARGV[3], 'PX', math.floor(untilAt - now) + 1) end
return 1
`;

/**
 * Claims lane heads for a lease: a claimed head's due score moves to the lease's end, so no other
 * worker sees it due until then, and the claim's token (`claim`) replaces any earlier claimant's,
 * so only this caller's outcome is recorded (RECORD_OUTCOME). A claim still there when it is taken
 * over ended without an outcome (its replica died or froze mid-send): that attempt is counted, as
 * the SQLite adapter counts a dead process's claims at open, for it may have reached the vendor
 * (the dedup and route stages then owe the alert's resolve there, trigger-tried.ts). ARGV: prefix,
 * now, until, token, ids... Returns each id won followed by its attempts so far.
 */
export const CLAIM = `
local p, now, untilAt, token = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local won = {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local k = p .. ':delivery:' .. id
  local score = redis.call('ZSCORE', p .. ':delivery:heads', id)
  if score and tonumber(score) <= now and redis.call('HGET', k, 'status') == 'pending' then
    local attempts = tonumber(redis.call('HGET', k, 'attempts') or '')
    if redis.call('HEXISTS', k, 'claim') == 1 and attempts then
      attempts = attempts + 1
      redis.call('HSET', k, 'attempts', attempts, 'error', '${LAPSED_CLAIM}')
      redis.call('HDEL', k, 'vendorStatus')
    end
    redis.call('ZADD', p .. ':delivery:heads', untilAt, id)
    redis.call('HSET', k, 'claimedUntil', untilAt, 'claim', token)
    table.insert(won, id)
    table.insert(won, string.format('%d', attempts or 0))
  end
end
return won
`;

/**
 * Writes an attempt's outcome and the attempt itself, ends the claim, moves the lane on when the
 * delivery is finished, and (when sent) updates the notification log. ARGV: prefix, id, JSON {
 * claim, status, attempts, next, now, sentAt, error, vendorStatus, answer, logged: { field, state,
 * resolved }, ref, owedTo (the recipients still owed as JSON, or null to keep what is stored),
 * attempt: { attempt, outcome, vendorStatus, detail } or null (a deferral) }.
 * `claim` is the token of the caller's claim ("" when it made none). Returns 0, with nothing
 * written, when the delivery is gone or no longer pending, when a caller's claim is no longer the
 * current one, or when a caller without a claim meets another's live claim.
 */
export const RECORD_OUTCOME = `${HISTORY_PUSH}
local p, id = ARGV[1], ARGV[2]
local c = cjson.decode(ARGV[3])
local k = p .. ':delivery:' .. id
-- A replica that outlived its lease (paused, frozen) must not reopen what another one finished.
if redis.call('HGET', k, 'status') ~= 'pending' then return 0 end
-- Nor end the claim of the replica now sending it, nor undo the outcome that replica recorded.
local held = redis.call('HGET', k, 'claim')
if c.claim ~= '' then
  if held ~= c.claim then return 0 end
elseif held and tonumber(redis.call('HGET', k, 'claimedUntil') or '0') > tonumber(c.now) then
  return 0
end
if c.attempt ~= cjson.null and c.attempt ~= nil then
  local f = redis.call('HMGET', k, 'dedupKey', 'intentId', 'type', 'destination')
  historyPush(p, 'attempts', 'attempted', f[1], c.now, cjson.encode({ dedupKey = f[1], intentId = f[2], type = f[3], destination = f[4],
    at = c.now, attempt = c.attempt.attempt, outcome = c.attempt.outcome, vendorStatus = c.attempt.vendorStatus, detail = c.attempt.detail }))
end
redis.call('HSET', k, 'status', c.status, 'attempts', c.attempts, 'next', c.next, 'updated', c.now)
redis.call('HDEL', k, 'claimedUntil', 'claim')
-- When the first retryable failure was: retries give up a day after it.
if c.failed then redis.call('HSETNX', k, 'firstFailed', c.now) end
if c.sentAt ~= cjson.null then redis.call('HSET', k, 'sent', c.sentAt) end
if c.error ~= cjson.null then redis.call('HSET', k, 'error', c.error) else redis.call('HDEL', k, 'error') end
if c.vendorStatus ~= cjson.null then redis.call('HSET', k, 'vendorStatus', c.vendorStatus) end
if c.answer ~= cjson.null then redis.call('HSET', k, 'answer', c.answer) end
-- Who an email still owes (JSON) only narrows: an attempt that reached nobody leaves it as it is.
if c.owedTo ~= cjson.null and c.owedTo ~= nil then redis.call('HSET', k, 'owedTo', c.owedTo) end
local lane = p .. ':delivery:lane:' .. redis.call('HGET', k, 'dedupKey') .. '\\n' .. redis.call('HGET', k, 'destination')
if c.status == 'pending' then
  redis.call('ZADD', p .. ':delivery:pending', c.next, id)
  if redis.call('ZSCORE', p .. ':delivery:heads', id) then redis.call('ZADD', p .. ':delivery:heads', c.next, id) end
else
  redis.call('ZREM', p .. ':delivery:pending', id)
  redis.call('ZREM', p .. ':delivery:heads', id)
  redis.call('LREM', lane, 1, id)
  redis.call('ZADD', p .. ':delivery:finished', c.now, id)
  local head = redis.call('LINDEX', lane, 0)
  if head then redis.call('ZADD', p .. ':delivery:heads', redis.call('HGET', p .. ':delivery:' .. head, 'next'), head) end
end
if c.logged ~= cjson.null and c.logged ~= nil then
  redis.call('HSET', p .. ':notifylog:state', c.logged.field, c.logged.state)
  if c.ref ~= cjson.null then redis.call('HSET', p .. ':notifylog:ref', c.logged.field, c.ref) end
  if c.logged.state == 'resolve' then
    redis.call('ZADD', p .. ':notifylog:resolved', c.sentAt, c.logged.field)
  else
    redis.call('ZREM', p .. ':notifylog:resolved', c.logged.field)
  end
end
return 1
`;

/**
 * Keeps the later of two heartbeats, unless the stored one is ahead of the new one by more than the
 * slack (its clock ran ahead, or it is not a number): then the new one. ARGV: prefix, monitor id,
 * at, slack (ms).
 */
export const RECORD_HEARTBEAT = `
local k = ARGV[1] .. ':heartbeats'
local cur = tonumber(redis.call('HGET', k, ARGV[2]) or '')
local at = tonumber(ARGV[3])
if not cur or cur < at or cur - at > tonumber(ARGV[4]) then redis.call('HSET', k, ARGV[2], ARGV[3]) end
return 1
`;

/**
 * Ends a stored silence at `now` unless it ended earlier, and records who in its durable record.
 * ARGV: prefix, id, now, expired by ("" when nobody was named). Returns 1 when it exists.
 */
export const EXPIRE_SILENCE = `
local k = ARGV[1] .. ':silence:' .. ARGV[2]
local ends = redis.call('HGET', k, 'ends')
if not ends then return 0 end
if tonumber(ARGV[3]) < tonumber(ends) then
  redis.call('PUBLISH', ARGV[1] .. ':changes', '*')
  redis.call('HSET', k, 'ends', ARGV[3])
  redis.call('ZADD', ARGV[1] .. ':silences:ends', ARGV[3], ARGV[2])
  local r = ARGV[1] .. ':silence-record:' .. ARGV[2]
  if redis.call('EXISTS', r) == 1 then
    redis.call('HSET', r, 'ends', ARGV[3], 'expired', ARGV[3])
    if ARGV[4] ~= '' then redis.call('HSET', r, 'expiredBy', ARGV[4]) end
    redis.call('ZADD', ARGV[1] .. ':silence-records:ends', ARGV[3], ARGV[2])
  end
end
return 1
`;

/**
 * Deletes what outlived its retention, at most `limit` per kind (history lists: `limit` lists);
 * never pending deliveries, undispatched intents, or pending and firing alerts. ARGV: prefix,
 * limit, cutoffs as JSON { notifications, silences, webhookIds, resolvedAlerts, results }. Returns
 * the count deleted. Results within their window and rollups are PRUNE_HISTORY's.
 */
export const PRUNE = `
local p, limit = ARGV[1], tonumber(ARGV[2])
local c = cjson.decode(ARGV[3])
local n = 0
local function older(key, cutoff) return redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. cutoff, 'LIMIT', 0, limit) end
for _, id in ipairs(older(p .. ':delivery:finished', c.notifications)) do
  local k = p .. ':delivery:' .. id
  local f = redis.call('HMGET', k, 'intentId', 'destination', 'dedupKey')
  if f[1] then
    redis.call('HDEL', p .. ':delivery:ids', f[1] .. '\\n' .. f[2])
    redis.call('LREM', p .. ':delivery:alert:' .. f[3], 1, id)
  end
  redis.call('DEL', k)
  redis.call('ZREM', p .. ':delivery:recent', id)
  redis.call('ZREM', p .. ':delivery:finished', id)
  n = n + 1
end
for _, field in ipairs(older(p .. ':notifylog:resolved', c.notifications)) do
  redis.call('HDEL', p .. ':notifylog:state', field)
  redis.call('HDEL', p .. ':notifylog:ref', field)
  redis.call('ZREM', p .. ':notifylog:resolved', field)
  n = n + 1
end
for _, id in ipairs(older(p .. ':silences:ends', c.silences)) do
  redis.call('DEL', p .. ':silence:' .. id)
  redis.call('ZREM', p .. ':silences:ends', id)
  n = n + 1
end
-- A silence's record outlives the silence: it goes with the alert history it explains.
for _, id in ipairs(older(p .. ':silence-records:ends', c.resolvedAlerts)) do
  redis.call('DEL', p .. ':silence-record:' .. id)
  redis.call('ZREM', p .. ':silence-records:ends', id)
  n = n + 1
end
for _, id in ipairs(older(p .. ':webhook-ids', c.webhookIds)) do
  redis.call('ZREM', p .. ':webhook-ids', id)
  n = n + 1
end
for _, seq in ipairs(older(p .. ':outbox:dispatched', c.notifications)) do
  local item = p .. ':outbox:item:' .. seq
  local f = redis.call('HMGET', item, 'id', 'k')
  if f[1] then redis.call('HDEL', p .. ':outbox:ids', f[1]) end
  if f[2] and redis.call('HINCRBY', p .. ':outbox:keys', f[2], -1) <= 0 then redis.call('HDEL', p .. ':outbox:keys', f[2]) end
  redis.call('DEL', item)
  redis.call('ZREM', p .. ':outbox:dispatched', seq)
  n = n + 1
end
for _, key in ipairs(older(p .. ':alerts:inactive', c.resolvedAlerts)) do
  -- While any intent or delivery of the alert is stored its row stays: a new row would restart the
  -- sequence, and a delivery still stored under a repeated intent id would swallow the new page.
  if redis.call('HEXISTS', p .. ':outbox:keys', key) == 0 and redis.call('EXISTS', p .. ':delivery:alert:' .. key) == 0 then
    local k = p .. ':alert:' .. key
    local m = redis.call('HGET', k, 'm')
    if m then redis.call('SREM', p .. ':alerts:monitor:' .. m, key) end
    redis.call('DEL', k)
    redis.call('SREM', p .. ':alerts:all', key)
    redis.call('HINCRBY', p .. ':alerts:states', 'inactive', -1)
    redis.call('ZREM', p .. ':alerts:inactive', key)
    n = n + 1
  end
end
for _, m in ipairs(older(p .. ':results:monitors', c.results)) do
  -- ':results:' .. m is the list older builds kept; a monitor named like one of our own results
  -- keys (latest, monitors, erroring) had none, and its name must not delete that key.
  if m == 'latest' or m == 'monitors' or m == 'erroring' then
    redis.call('DEL', p .. ':results:w:' .. m)
  else
    redis.call('DEL', p .. ':results:' .. m, p .. ':results:w:' .. m)
  end
  redis.call('HDEL', p .. ':results:latest', m)
  redis.call('SREM', p .. ':results:erroring', m)
  redis.call('HDEL', p .. ':results:erroring:since', m)
  redis.call('HDEL', p .. ':results:erroring:ended', m)
  redis.call('ZREM', p .. ':results:monitors', m)
  n = n + 1
end
-- An alert's transitions and attempts are lists in time order: drop their old heads.
local function trimLists(kind, index, cutoff)
  local limitAt = tonumber(cutoff)
  for _, key in ipairs(older(p .. ':history:' .. index, cutoff)) do
    local lk = p .. ':history:' .. kind .. ':' .. key
    local head = redis.call('LINDEX', lk, 0)
    while head do
      local at = tonumber(cjson.decode(head).at)
      if at >= limitAt then break end
      redis.call('LPOP', lk)
      n = n + 1
      head = redis.call('LINDEX', lk, 0)
    end
    if head then
      redis.call('ZADD', p .. ':history:' .. index, string.format('%d', tonumber(cjson.decode(head).at)), key)
    else
      redis.call('ZREM', p .. ':history:' .. index, key)
    end
  end
end
trimLists('alert', 'alerts', c.resolvedAlerts)
trimLists('diagnostics', 'diagnosed', c.resolvedAlerts)
trimLists('attempts', 'attempted', c.notifications)
return n
`;

/**
 * Applies the results window and the rollup retentions to up to `count` monitors after `cursor`
 * (in id order): results older than the window go unless they are among the monitor's newest
 * `keep`; minute, hour and day buckets that start before their cutoffs go (days with the hours'). A
 * monitor with nothing left leaves the walk. ARGV: prefix, cursor ("" to start), count, JSON {
 * results, minute, hour, keep, minuteWidth, hourWidth, dayWidth }. Returns { deleted, next cursor ("" when the walk is done) }.
 */
export const PRUNE_HISTORY = `
local p, cursor, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = cjson.decode(ARGV[4])
local walk = p .. ':history:monitors'
local from = cursor == '' and '-' or '(' .. cursor
local monitors = redis.call('ZRANGEBYLEX', walk, from, '+', 'LIMIT', 0, count)
local n = 0
local keep = tonumber(c.keep)
for _, m in ipairs(monitors) do
  local zk = p .. ':results:w:' .. m
  local size = redis.call('ZCARD', zk)
  if size > keep then
    local edge = redis.call('ZRANGE', zk, size - keep, size - keep, 'WITHSCORES')[2]
    local cutoff = c.results
    if tonumber(edge) < tonumber(cutoff) then cutoff = edge end
    n = n + redis.call('ZREMRANGEBYSCORE', zk, '-inf', '(' .. cutoff)
  end
  local left = redis.call('EXISTS', zk)
  for _, r in ipairs({ { c.minuteWidth, c.minute }, { c.hourWidth, c.hour }, { c.dayWidth, c.hour } }) do
    local index = p .. ':rollups:' .. r[1] .. ':' .. m
    for _, start in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. r[2])) do
      redis.call('DEL', p .. ':rollup:' .. r[1] .. ':' .. m .. ':' .. start)
      n = n + 1
    end
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. r[2])
    left = left + redis.call('EXISTS', index)
  end
  if left == 0 then redis.call('ZREM', walk, m) end
end
local next = ''
if #monitors == count then next = monitors[#monitors] end
return { n, next }
`;

/**
 * Replaces an alert hash that is not what Watchkeeper wrote (edited by hand, written by another
 * tool) with a fresh inactive alert, unless it changed since it was read. The alert's state is
 * lost, but not its place in the outbox: the new alert keeps the highest sequence among the
 * intents still stored for its dedup key (and their labels), so its next intent gets an id the
 * outbox has not seen and is sent. With no intent stored the key is removed (it never paged).
 * The firing set forgets it, as the alert is no longer firing, and the state counts are counted
 * again (the key may have escaped the writes that keep them). ARGV: prefix, dedup key, what was
 * read (`hash`, or `other` for a key of another type), its `d` and `v` ("" when absent), the
 * monitor it was read for ("" when unknown). Returns `changed`, `removed`, or the new alert JSON.
 */
export const REPLACE_GARBAGE_ALERT = `
local p, key, seen, seenD, seenV, hint = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local k = p .. ':alert:' .. key
local t = redis.call('TYPE', k).ok
local oldMonitor = nil
if t == 'hash' then
  if seen ~= 'hash' then return 'changed' end
  local h = redis.call('HMGET', k, 'd', 'v', 'm')
  if (h[1] or '') ~= seenD or (h[2] or '') ~= seenV then return 'changed' end
  oldMonitor = h[3]
elseif t == 'none' or seen == 'hash' then
  return 'changed'
end
local sequence, newest = 0, nil
if redis.call('HEXISTS', p .. ':outbox:keys', key) == 1 then
  local pattern = (string.gsub(key, '[%*%?%[%]\\\\]', '\\\\%0')) .. ':*'
  local cursor = '0'
  repeat
    local r = redis.call('HSCAN', p .. ':outbox:ids', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = r[1]
    for i = 1, #r[2], 2 do
      local n = tonumber(string.sub(r[2][i], #key + 2))
      if n and n > sequence then sequence, newest = n, r[2][i + 1] end
    end
  until cursor == '0'
end
local intent = nil
if newest then
  local ok, decoded = pcall(cjson.decode, redis.call('HGET', p .. ':outbox:item:' .. newest, 'i') or '')
  if ok and type(decoded) == 'table' and type(decoded.labels) == 'table' then intent = decoded end
end
redis.call('DEL', k)
local firingMonitor = redis.call('HGET', p .. ':firing', key)
if firingMonitor then
  redis.call('HDEL', p .. ':firing', key)
  redis.call('SREM', p .. ':firing:monitor:' .. firingMonitor, key)
end
-- The state counts were kept by the writes this key escaped (or lost its state to): count afresh.
local function recount()
  local counts = {}
  for _, member in ipairs(redis.call('SMEMBERS', p .. ':alerts:all')) do
    local mk = p .. ':alert:' .. member
    if redis.call('TYPE', mk).ok == 'hash' then
      local s = redis.call('HGET', mk, 's')
      if s then counts[s] = (counts[s] or 0) + 1 end
    end
  end
  redis.call('DEL', p .. ':alerts:states')
  for s, n in pairs(counts) do redis.call('HSET', p .. ':alerts:states', s, n) end
end
local monitor = hint
if monitor == '' then monitor = oldMonitor or (intent and intent.monitorId) or '' end
if not intent or monitor == '' then
  for _, m in ipairs({ hint, oldMonitor or '' }) do
    if m ~= '' then redis.call('SREM', p .. ':alerts:monitor:' .. m, key) end
  end
  redis.call('SREM', p .. ':alerts:all', key)
  redis.call('ZREM', p .. ':alerts:inactive', key)
  recount()
  return 'removed'
end
local time = redis.call('TIME')
local at = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local json = cjson.encode({ monitorId = monitor, labels = intent.labels, dedupKey = key, state = 'inactive', activeAt = cjson.null,
  firedAt = cjson.null, resolvedAt = cjson.null, lastSentAt = cjson.null, consecutiveFailures = 0, consecutiveSuccesses = 0,
  keepFiringSince = cjson.null, acknowledgedAt = cjson.null, acknowledgedBy = cjson.null, sequence = sequence, lastValue = cjson.null,
  summary = '', updatedAt = at })
local atText = string.format('%d', at)
redis.call('HSET', k, 'd', json, 'v', 1, 'm', monitor, 's', 'inactive', 'u', atText)
redis.call('SADD', p .. ':alerts:monitor:' .. monitor, key)
redis.call('SADD', p .. ':alerts:all', key)
redis.call('ZADD', p .. ':alerts:inactive', atText, key)
recount()
return json
`;
