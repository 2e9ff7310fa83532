/**
 * The waiting room's whole state machine as one Lua script, so every step (join, poll, tick,
 * complete, end of sale) is atomic across all API and worker processes. The clock is Redis's TIME,
 * so processes with drifting clocks still agree. Each call first sweeps (opens the pre-queue when
 * due, closes the sale when its window ended, ends waiters of an ended sale, expires active users,
 * drops silent waiters), then does its own operation, then admits as many waiters as the cap and
 * the rate allow. So any poll, any join and the periodic driver of any surviving process all move
 * the queue; there is no lone ticker to lose.
 *
 * KEYS (all of one schedule, same hash tag): 1 wait (zset uid -> join sequence), 2 pre (zset uid ->
 * join ms, before opening), 3 active (zset uid -> active-until ms), 4 seen (zset uid -> last poll ms,
 * waiters only), 5 tok (hash uid -> "tokenId|joinedMs"), 6 ended (hash tokenId -> reason),
 * 7 seq (counter), 8 opened (flag), 9 admits (zset of admissions in the last second), 10 ctl (hash:
 * the admission controller's current rate and maxActive), 11 final (SOLD_OUT or CLOSED once the sale
 * ended for waiters), 12 gone (zset of the join sequences that left the line other than by
 * admission, above its head: what a snapshot needs for exact positions without the whole line),
 * 13 adm (the highest join sequence admitted so far). The drivers' registry of active schedules is
 * global (another slot on a Redis Cluster), so a join registers the schedule beside the script.
 * ARGV: 1 op (join|status|tick|complete|end|reopen), 2 scheduleId, 3 maxActive, 4 admitRatePerSec,
 * 5 activeTtlMs, 6 graceMs, 7 opensAtMs, 8 maxBatch, 9 shuffle seed, 10 keepMs, 11 uid, 12 tokenId,
 * 13 auto (1 = take rate and maxActive from ctl when present), 14 closesAtMs, 15 end reason.
 * Returns { changes (flat: kind, uid, tokenId|joinedMs, at, reason), self state, waiting, pre-queue,
 * active, now, effective maxActive, effective rate, final reason, waiters ended by the sale's end in
 * this call, the reason this call ended the sale with (or ''), 1 if this call reopened it }.
 */
export const QUEUE_LUA = `
local op = ARGV[1]
local sid = ARGV[2]
local maxActive = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local grace = tonumber(ARGV[6])
local opensAt = tonumber(ARGV[7])
local maxBatch = tonumber(ARGV[8])
local seed = tonumber(ARGV[9])
local keep = tonumber(ARGV[10])
local uid = ARGV[11]
local tokenId = ARGV[12]
local closesAt = tonumber(ARGV[14])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local changes = {}
local endedBySale = 0
local endedNow = ''
local reopened = 0

if ARGV[13] == '1' then
  local ctl = redis.call('HMGET', KEYS[10], 'rate', 'maxActive')
  if ctl[1] then rate = tonumber(ctl[1]) end
  if ctl[2] then maxActive = tonumber(ctl[2]) end
end
local final = redis.call('GET', KEYS[11])

-- report = false: the sale's end is one schedule-level event, not one per waiter.
local function finish(u, reason, report)
  local v = redis.call('HGET', KEYS[5], u)
  -- A waiter leaving from the middle of the line: everyone behind moves up one place.
  if not final then
    local sc = redis.call('ZSCORE', KEYS[1], u)
    if sc then redis.call('ZADD', KEYS[12], sc, sc) end
  end
  redis.call('HDEL', KEYS[5], u)
  redis.call('ZREM', KEYS[1], u)
  redis.call('ZREM', KEYS[2], u)
  redis.call('ZREM', KEYS[3], u)
  redis.call('ZREM', KEYS[4], u)
  if v then
    redis.call('HSET', KEYS[6], string.match(v, '^([^|]+)'), reason)
    if report then
      table.insert(changes, 'E'); table.insert(changes, u); table.insert(changes, v)
      table.insert(changes, tostring(now)); table.insert(changes, reason)
    end
  end
end

-- Fair opening: the pre-queue is shuffled (Fisher-Yates, seeded by the caller's crypto random) and
-- placed ahead of everyone who joins after opening, in one atomic step.
local function open_if_due()
  if now < opensAt or redis.call('EXISTS', KEYS[8]) == 1 then return end
  local pre = redis.call('ZRANGE', KEYS[2], 0, -1)
  local n = #pre
  if n > 0 then
    math.randomseed(seed)
    for i = n, 2, -1 do
      local j = math.random(i)
      pre[i], pre[j] = pre[j], pre[i]
    end
    local base = redis.call('INCRBY', KEYS[7], n) - n
    local args = {}
    for i = 1, n do
      table.insert(args, base + i); table.insert(args, pre[i])
      if #args >= 1000 or i == n then
        redis.call('ZADD', KEYS[1], unpack(args))
        args = {}
      end
    end
    redis.call('DEL', KEYS[2])
  end
  redis.call('SET', KEYS[8], '1', 'PX', keep)
end

local function end_sale(reason)
  if final == reason then return end
  if final == 'CLOSED' then return end
  final = reason
  endedNow = reason
  redis.call('SET', KEYS[11], reason, 'PX', keep)
end

-- Everyone still waiting learns that the sale ended; ten batches a call keeps one run short even
-- with tens of thousands waiting, and every later call (any poll, any tick) continues.
local function end_waiters()
  if not final then return end
  for _, k in ipairs({KEYS[1], KEYS[2]}) do
    local us = redis.call('ZRANGE', k, 0, maxBatch * 10 - 1)
    for _, u in ipairs(us) do
      finish(u, final, false)
      endedBySale = endedBySale + 1
    end
  end
end

local function sweep()
  open_if_due()
  if now >= closesAt then end_sale('CLOSED') end
  end_waiters()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, maxBatch)
  for _, u in ipairs(expired) do finish(u, 'EXPIRED', true) end
  local silent = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - grace, 'LIMIT', 0, maxBatch)
  for _, u in ipairs(silent) do finish(u, 'DROPPED', true) end
end

-- At most maxActive at a time, and at most rate admissions in any sliding second; none once the
-- sale has ended.
local function admit()
  if final or redis.call('EXISTS', KEYS[8]) == 0 then return end
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now - 1000)
  local n = math.min(maxActive - redis.call('ZCARD', KEYS[3]), rate - redis.call('ZCARD', KEYS[9]), maxBatch)
  if n <= 0 then return end
  local popped = redis.call('ZPOPMIN', KEYS[1], n)
  if #popped > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[12], '-inf', popped[#popped])
    redis.call('SET', KEYS[13], popped[#popped], 'PX', keep)
  end
  for i = 1, #popped, 2 do
    local u = popped[i]
    redis.call('ZADD', KEYS[3], now + ttl, u)
    redis.call('ZREM', KEYS[4], u)
    redis.call('ZADD', KEYS[9], now, now .. ':' .. u)
    table.insert(changes, 'A'); table.insert(changes, u); table.insert(changes, redis.call('HGET', KEYS[5], u) or '')
    table.insert(changes, tostring(now)); table.insert(changes, '')
  end
  redis.call('PEXPIRE', KEYS[9], 2000)
end

local function is_member(u)
  return redis.call('ZSCORE', KEYS[1], u) or redis.call('ZSCORE', KEYS[2], u) or redis.call('ZSCORE', KEYS[3], u)
end

if op == 'end' then end_sale(ARGV[15]) end
if op == 'reopen' and final == 'SOLD_OUT' then
  redis.call('DEL', KEYS[11])
  final = nil
  reopened = 1
end
sweep()
if op == 'join' then
  local v = redis.call('HGET', KEYS[5], uid)
  if v and is_member(uid) then
    if redis.call('ZSCORE', KEYS[4], uid) then redis.call('ZADD', KEYS[4], now, uid) end
  elseif final then
    -- A join after the sale ended gets a token that is already over, with the reason.
    if v then finish(uid, 'UNKNOWN', true) end
    redis.call('HSET', KEYS[6], tokenId, final)
  else
    if v then finish(uid, 'UNKNOWN', true) end
    redis.call('HSET', KEYS[5], uid, tokenId .. '|' .. now)
    if redis.call('EXISTS', KEYS[8]) == 1 then
      redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[7]), uid)
    else
      redis.call('ZADD', KEYS[2], now, uid)
    end
    redis.call('ZADD', KEYS[4], now, uid)
  end
  for i = 1, 9 do
    if i ~= 8 then redis.call('PEXPIRE', KEYS[i], keep) end
  end
  redis.call('PEXPIRE', KEYS[12], keep)
elseif op == 'status' then
  local v = redis.call('HGET', KEYS[5], uid)
  -- A poll keeps a waiter's place; only the holder of the current token counts.
  if v and string.match(v, '^([^|]+)') == tokenId and redis.call('ZSCORE', KEYS[4], uid) then
    redis.call('ZADD', KEYS[4], now, uid)
  end
elseif op == 'complete' then
  if redis.call('ZSCORE', KEYS[3], uid) then finish(uid, 'USED', true) end
end
admit()
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[12]) end

-- The caller's own state (for join: the token just issued or the existing one).
local state = {'EXPIRED', '', '', '', '', ''}
if op == 'join' or op == 'status' then
  local v = redis.call('HGET', KEYS[5], uid)
  local cur = v and string.match(v, '^([^|]+)')
  if op == 'join' and cur then tokenId = cur end
  if v and cur == tokenId then
    local joined = string.match(v, '|(%d+)$')
    local until_ = redis.call('ZSCORE', KEYS[3], uid)
    if until_ then
      state = {'ACTIVE', tokenId, joined, '', until_, ''}
    else
      local rank = redis.call('ZRANK', KEYS[1], uid)
      state = {'WAITING', tokenId, joined, rank and tostring(rank + 1) or '', '', redis.call('ZSCORE', KEYS[1], uid) or ''}
    end
  else
    state = {'EXPIRED', tokenId, '', redis.call('HGET', KEYS[6], tokenId) or 'UNKNOWN', '', ''}
  end
end
return {changes, state, redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), tostring(now),
  maxActive, rate, final or '', endedBySale, endedNow, reopened}
`;

/** Read-only check for booking requests: is this token the user's current one, and ACTIVE? 0 another token, 1 not ACTIVE, 2 ACTIVE, 3 no record. */
export const PEEK_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
-- 3: the room has no record of this user at all (tokens are kept 7 days, so Redis lost its data).
if not v then return 3 end
if string.match(v, '^([^|]+)') ~= ARGV[2] then return 0 end
local until_ = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not until_ then return 1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(until_) <= now then return 1 end
return 2
`;

/**
 * What every API process keeps of a schedule's line, read a few times a second (queue-snapshot.ts):
 * enough to answer any waiter's poll by arithmetic on the join sequence in their signed token.
 * KEYS: 1 wait, 2 pre, 3 active, 4 seq, 5 opened, 6 ctl, 7 final, 8 gone, 9 adm. ARGV: 1 most
 * gone sequences returned. Returns { head sequence ('' when nobody waits), last sequence issued,
 * gone sequences above the head, waiting, pre-queue, active, opened (0/1), ctl rate, ctl maxActive,
 * final reason, now, highest sequence admitted }.
 */
export const SNAPSHOT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ctl = redis.call('HMGET', KEYS[6], 'rate', 'maxActive')
return {head[2] or '', redis.call('GET', KEYS[4]) or '0', redis.call('ZRANGE', KEYS[8], 0, tonumber(ARGV[1]) - 1),
  redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('EXISTS', KEYS[5]),
  ctl[1] or '', ctl[2] or '', redis.call('GET', KEYS[7]) or '', tostring(now), redis.call('GET', KEYS[9]) or '0'}
`;

/**
 * "These waiters polled": the last-seen times of many waiters in one step, batched by each API
 * process instead of one write per poll. Only a waiter who still holds that token and still waits
 * counts; the token ids of the others (admitted, dropped, replaced) come back, so the process asks
 * Redis about them at their next poll instead of answering from its snapshot.
 * KEYS: 1 tok, 2 seen. ARGV: pairs of uid, tokenId.
 */
export const SEEN_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = {}
for i = 1, #ARGV, 2 do
  local u = ARGV[i]
  local v = redis.call('HGET', KEYS[1], u)
  if v and string.match(v, '^([^|]+)') == ARGV[i + 1] and redis.call('ZSCORE', KEYS[2], u) then
    redis.call('ZADD', KEYS[2], now, u)
  else
    table.insert(gone, ARGV[i + 1])
  end
end
return gone
`;
