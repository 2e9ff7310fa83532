/**
 * The seat inventory's Lua scripts: one atomic Redis step each. KEYS[1] is the schedule's base key
 * (`seatinv:{s<id>}`, prefixed by the client); every other key is derived from it, so they all share
 * the schedule's hash tag (one Redis Cluster slot) and the client's key prefix. Layout of the keys
 * (docs/best-available.md):
 *   <base>:meta        hash  nsec, sec:<i> (layout order), tier:<sec>, rows:<sec>, built:<sec>
 *   <base>:L:<sec>     hash  i<r> = seat ids of row r in seat order (csv), s<r> = their scores (csv)
 *   <base>:M:<sec>     hash  m<r> = the row's free map ('1' free, '0' taken, one byte per seat),
 *                            f<r> = free seats in row r, free / total = the section's counts
 *   <base>:own         hash  seat id -> owner (reservation id) or 'sold:' .. owner
 *   <base>:exp         zset  held seat id -> when the claim lapses (ms): the safety net of a lost release
 *   <base>:pos         hash  seat id -> '<r>|<p>|<sec>' (row index, position in the row, section)
 *   <base>:by          hash  owner -> its seat ids (csv): a repeated allocation returns the same seats
 *   <base>:req         hash  owner -> the best-available request (JSON) it was allocated for (decline)
 * Invariant kept by every script: a seat has an `own` entry exactly when its map byte is '0'.
 * This is the only seat state in Redis (issue 27): the hold's fast path, best available, the counts
 * and the seat map's statuses (TAKEN) all read it, and it is rebuilt one way, from MySQL (BUILD_SECTION).
 */
const COMMON = `
local base = KEYS[1]
local META, OWN, POS, EXP, BY, REQ = base .. ':meta', base .. ':own', base .. ':pos', base .. ':exp', base .. ':by', base .. ':req'

local function parsepos(v)
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return string.sub(v, b + 1), tonumber(string.sub(v, 1, a - 1)), tonumber(string.sub(v, a + 1, b - 1))
end

local function setbyte(s, p, c) return string.sub(s, 1, p - 1) .. c .. string.sub(s, p + 1) end

-- Flips one seat's byte in its row map and keeps the row and section counts in step.
local function setfree(id, free)
  local v = redis.call('HGET', POS, id)
  if not v then return end
  local sec, r, p = parsepos(v)
  local M = base .. ':M:' .. sec
  local m = redis.call('HGET', M, 'm' .. r)
  if not m then return end
  local want = free and '1' or '0'
  if string.sub(m, p, p) == want then return end
  redis.call('HSET', M, 'm' .. r, setbyte(m, p, want))
  local d = free and 1 or -1
  redis.call('HINCRBY', M, 'f' .. r, d)
  redis.call('HINCRBY', M, 'free', d)
end

local function freeseat(id)
  redis.call('HDEL', OWN, id)
  redis.call('ZREM', EXP, id)
  setfree(id, true)
end

local function take(id, owner, expat)
  redis.call('HSET', OWN, id, owner)
  redis.call('ZADD', EXP, expat, id)
  setfree(id, false)
end

-- Claims whose release was lost (a crashed process, a Redis error) lapse here, a bounded number per call.
local function reclaim(now)
  local ids = redis.call('ZRANGEBYSCORE', EXP, '-inf', now, 'LIMIT', 0, 200)
  for _, id in ipairs(ids) do
    local o = redis.call('HGET', OWN, id)
    if o and string.sub(o, 1, 5) ~= 'sold:' then
      redis.call('HDEL', BY, o)
      redis.call('HDEL', REQ, o)
      freeseat(id)
    else
      redis.call('ZREM', EXP, id)
    end
  end
end

local function split(s)
  local t = {}
  for x in string.gmatch(s, '[^,]+') do t[#t + 1] = x end
  return t
end
`;

/**
 * Best available. ARGV: owner, quantity, together (1/0), now ms, claim expiry ms, request JSON,
 * number of excluded seat ids, the excluded ids, then the candidate sections in preference order.
 * Replies: {'OK', together 1/0, usec, id...} | {'MINE', usec, id...} (this owner already has seats)
 * | {'BUILD', section} (structures missing: build, then call again)
 * | {'SOLD_OUT', usec, free} | {'NO_SEATS_TOGETHER', usec, free, section, largest run, ...}.
 */
export const ALLOCATE = `${COMMON}
local t0 = redis.call('TIME')
local function usec() local t = redis.call('TIME'); return (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) end
local owner, k, together, now, expat, req = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local nx = tonumber(ARGV[7])
local sections = {}
for i = 8 + nx, #ARGV do sections[#sections + 1] = ARGV[i] end
for _, sec in ipairs(sections) do
  if redis.call('HEXISTS', META, 'built:' .. sec) == 0 then return {'BUILD', sec} end
end
reclaim(now)
local mine = redis.call('HGET', BY, owner)
if mine then
  local out = {'MINE', usec()}
  for _, id in ipairs(split(mine)) do out[#out + 1] = id end
  return out
end

-- Excluded seats (a declined offer) count as taken for this call only.
local ex = {}
for i = 8, 7 + nx do
  local v = redis.call('HGET', POS, ARGV[i])
  if v then
    local sec, r, p = parsepos(v)
    local key = sec .. '|' .. r
    ex[key] = ex[key] or {}
    ex[key][#ex[key] + 1] = p
  end
end
local function rowmap(sec, r, M)
  local m = redis.call('HGET', M, 'm' .. r)
  local e = ex[sec .. '|' .. r]
  if e then for _, p in ipairs(e) do m = setbyte(m, p, '0') end end
  return m
end
local function freecounts(sec, M, rows)
  local fields = {}
  for r = 0, rows - 1 do fields[#fields + 1] = 'f' .. r end
  return redis.call('HMGET', M, unpack(fields))
end

-- Phase 1 and 2 in one pass per section: the lowest-score run of k free seats in one row that leaves
-- no single orphan beside it (clean), and the lowest-score run at all (any).
local run = string.rep('1', k)
local function bestruns(sec)
  local M, L = base .. ':M:' .. sec, base .. ':L:' .. sec
  local rows = tonumber(redis.call('HGET', META, 'rows:' .. sec))
  local counts = freecounts(sec, M, rows)
  local clean, any
  for r = 0, rows - 1 do
    if tonumber(counts[r + 1] or '0') >= k then
      local m = rowmap(sec, r, M)
      local n = #m
      local sc
      local s = 1
      while true do
        local a = string.find(m, run, s, true)
        if not a then break end
        local e = a + k - 1
        local orphan = (a > 1 and string.sub(m, a - 1, a - 1) == '1' and (a == 2 or string.sub(m, a - 2, a - 2) == '0'))
          or (e < n and string.sub(m, e + 1, e + 1) == '1' and (e + 1 == n or string.sub(m, e + 2, e + 2) == '0'))
        if not sc then sc = split(redis.call('HGET', L, 's' .. r)) end
        local total = 0
        for p = a, e do total = total + tonumber(sc[p]) end
        if not any or total < any.score then any = {score = total, r = r, a = a} end
        if not orphan and (not clean or total < clean.score) then clean = {score = total, r = r, a = a} end
        s = a + 1
      end
    end
  end
  return clean, any
end

local function commit(picks, isTogether)
  local ids = {}
  for _, pick in ipairs(picks) do
    local rowids = split(redis.call('HGET', base .. ':L:' .. pick.sec, 'i' .. pick.r))
    local id = rowids[pick.p]
    take(id, owner, expat)
    ids[#ids + 1] = id
  end
  redis.call('HSET', BY, owner, table.concat(ids, ','))
  if req ~= '' then redis.call('HSET', REQ, owner, req) end
  local out = {'OK', isTogether and 1 or 0, usec()}
  for _, id in ipairs(ids) do out[#out + 1] = id end
  return out
end

local anyrun
for _, sec in ipairs(sections) do
  local clean, any = bestruns(sec)
  if clean then
    local picks = {}
    for p = clean.a, clean.a + k - 1 do picks[#picks + 1] = {sec = sec, r = clean.r, p = p} end
    return commit(picks, true)
  end
  if any and not anyrun then anyrun = {sec = sec, r = any.r, a = any.a} end
end
if anyrun then
  local picks = {}
  for p = anyrun.a, anyrun.a + k - 1 do picks[#picks + 1] = {sec = anyrun.sec, r = anyrun.r, p = p} end
  return commit(picks, true)
end

-- No run of k anywhere: count what is free, and the longest run per section for the answer.
local free = 0
local largest = {}
for _, sec in ipairs(sections) do
  local M = base .. ':M:' .. sec
  local rows = tonumber(redis.call('HGET', META, 'rows:' .. sec))
  local counts = freecounts(sec, M, rows)
  local longest = 0
  for r = 0, rows - 1 do
    if tonumber(counts[r + 1] or '0') > 0 then
      for ones in string.gmatch(rowmap(sec, r, M), '1+') do
        free = free + #ones
        if #ones > longest then longest = #ones end
      end
    end
  end
  largest[#largest + 1] = sec
  largest[#largest + 1] = longest
end
if free < k then return {'SOLD_OUT', usec(), free} end
if together then
  local out = {'NO_SEATS_TOGETHER', usec(), free}
  for _, x in ipairs(largest) do out[#out + 1] = x end
  return out
end

-- Phase 3 (together = false): the k free seats of lowest score, from the first section that has
-- k of them, else from the sections in order of preference.
local function freeseats(sec)
  local M, L = base .. ':M:' .. sec, base .. ':L:' .. sec
  local rows = tonumber(redis.call('HGET', META, 'rows:' .. sec))
  local counts = freecounts(sec, M, rows)
  local out = {}
  for r = 0, rows - 1 do
    if tonumber(counts[r + 1] or '0') > 0 then
      local m = rowmap(sec, r, M)
      local sc = split(redis.call('HGET', L, 's' .. r))
      for p = 1, #m do
        if string.sub(m, p, p) == '1' then out[#out + 1] = {sec = sec, r = r, p = p, score = tonumber(sc[p])} end
      end
    end
  end
  table.sort(out, function(x, y) if x.score ~= y.score then return x.score < y.score end if x.r ~= y.r then return x.r < y.r end return x.p < y.p end)
  return out
end
local gathered = {}
for _, sec in ipairs(sections) do
  local seats = freeseats(sec)
  if #seats >= k then gathered = seats break end
  for _, s in ipairs(seats) do gathered[#gathered + 1] = s end
  if #gathered >= k then break end
end
local picks = {}
for i = 1, k do picks[i] = gathered[i] end
return commit(picks, k == 1)
`;

/**
 * Pick-your-seat on the same structures. ARGV: owner, now ms, claim expiry ms, seat ids.
 * Replies: {'OK'} | {'TAKEN', index...} (1-based positions of seats another owner has) | {'BUILD'}.
 * All or nothing; re-entrant for the same owner.
 */
export const ACQUIRE = `${COMMON}
if redis.call('HEXISTS', META, 'nsec') == 0 then return {'BUILD'} end
local t0 = redis.call('TIME')
local function usec() local t = redis.call('TIME'); return (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) end
reclaim(tonumber(ARGV[2]))
local owner, expat = ARGV[1], tonumber(ARGV[3])
local taken = {'TAKEN', 0}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', POS, id) == 0 then return {'BUILD'} end
  local o = redis.call('HGET', OWN, id)
  if o and o ~= owner and o ~= ('sold:' .. owner) then taken[#taken + 1] = i - 3 end
end
if #taken > 2 then taken[2] = usec(); return taken end
local ids = {}
for i = 4, #ARGV do
  local o = redis.call('HGET', OWN, ARGV[i])
  if not o then take(ARGV[i], owner, expat) end
  ids[#ids + 1] = ARGV[i]
end
redis.call('HSET', BY, owner, table.concat(ids, ','))
return {'OK', usec()}
`;

/** Gives back the seats still owned by ARGV[1] (held or sold). ARGV: owner, seat ids. */
export const RELEASE = `${COMMON}
local owner = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local o = redis.call('HGET', OWN, ARGV[i])
  if o == owner or o == ('sold:' .. owner) then freeseat(ARGV[i]); n = n + 1 end
end
redis.call('HDEL', BY, owner)
redis.call('HDEL', REQ, owner)
return n
`;

/**
 * Moves seats from one owner to another in one step, never free in between (the waiting list's
 * offers: a released reservation's seats go straight to the offer's reservation). A seat of `from`
 * (held or sold), of `to` already, or with no claim is taken for `to` (MySQL already gave it to
 * `to`); a third owner's claim is left alone. Seats of a section not built yet are skipped: the
 * build reads MySQL, where they are already `to`'s. ARGV: from, to, claim expiry ms, seat ids.
 */
export const HAND_OVER = `${COMMON}
local from, to, expat = ARGV[1], ARGV[2], tonumber(ARGV[3])
local moved = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', POS, id) == 1 then
    local o = redis.call('HGET', OWN, id)
    if not o or o == from or o == ('sold:' .. from) or o == to then
      take(id, to, expat)
      moved[#moved + 1] = id
    end
  end
end
if #moved > 0 then redis.call('HSET', BY, to, table.concat(moved, ',')) end
return #moved
`;

/** Keeps sold seats taken without expiry. ARGV: owner, seat ids. */
export const MARK_SOLD = `${COMMON}
local owner = ARGV[1]
for i = 2, #ARGV do
  local id = ARGV[i]
  local o = redis.call('HGET', OWN, id)
  if not o or o == owner then
    redis.call('HSET', OWN, id, 'sold:' .. owner)
    redis.call('ZREM', EXP, id)
    setfree(id, false)
  end
end
redis.call('HDEL', REQ, owner)
return 1
`;

/**
 * (Re)builds one section from MySQL's seats. ARGV: section, tier, now ms, section index, section
 * count, row count, then per row (ids csv, scores csv), then per seat MySQL shows taken: (id, owner
 * or 'sold:' .. owner, claim expiry ms or 0). A live Redis claim MySQL does not show yet (an
 * allocation whose hold is in flight) stays taken: the rebuild is the union of both, never less.
 */
export const BUILD_SECTION = `${COMMON}
local sec, tier, now, idx, nsec, nrows = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local L, M = base .. ':L:' .. sec, base .. ':M:' .. sec
local db = {}
local j = 7 + 2 * nrows
while j <= #ARGV do
  db[ARGV[j]] = {ARGV[j + 1], tonumber(ARGV[j + 2])}
  j = j + 3
end
redis.call('DEL', L, M)
local total, free = 0, 0
for r = 0, nrows - 1 do
  local idcsv, sccsv = ARGV[7 + 2 * r], ARGV[8 + 2 * r]
  redis.call('HSET', L, 'i' .. r, idcsv, 's' .. r, sccsv)
  local m, f = {}, 0
  for p, id in ipairs(split(idcsv)) do
    redis.call('HSET', POS, id, r .. '|' .. p .. '|' .. sec)
    local d = db[id]
    local o = redis.call('HGET', OWN, id)
    if d then
      redis.call('HSET', OWN, id, d[1])
      if d[2] > 0 then redis.call('ZADD', EXP, d[2], id) else redis.call('ZREM', EXP, id) end
      m[p] = '0'
    elseif o and (string.sub(o, 1, 5) == 'sold:' or tonumber(redis.call('ZSCORE', EXP, id) or '0') > now) then
      m[p] = '0'
    else
      if o then redis.call('HDEL', OWN, id); redis.call('ZREM', EXP, id) end
      m[p] = '1'
      f = f + 1
    end
    total = total + 1
  end
  redis.call('HSET', M, 'm' .. r, table.concat(m), 'f' .. r, f)
  free = free + f
end
redis.call('HSET', M, 'free', free, 'total', total)
redis.call('HSET', META, 'nsec', nsec, 'sec:' .. idx, sec, 'tier:' .. sec, tier, 'rows:' .. sec, nrows, 'built:' .. sec, '1')
return free
`;

/**
 * Free and total seats per section: {section, tier, free, total, ...} in layout order, or {'BUILD'}.
 * ARGV: now ms (lapsed claims are given back first, so the counts are current).
 */
export const COUNTS = `${COMMON}
local nsec = redis.call('HGET', META, 'nsec')
if not nsec then return {'BUILD'} end
reclaim(tonumber(ARGV[1]))
local out = {}
for i = 0, tonumber(nsec) - 1 do
  local sec = redis.call('HGET', META, 'sec:' .. i)
  if not sec or redis.call('HEXISTS', META, 'built:' .. sec) == 0 then return {'BUILD'} end
  local c = redis.call('HMGET', base .. ':M:' .. sec, 'free', 'total')
  out[#out + 1] = sec
  out[#out + 1] = redis.call('HGET', META, 'tier:' .. sec)
  out[#out + 1] = tonumber(c[1] or '0')
  out[#out + 1] = tonumber(c[2] or '0')
end
return out
`;

/**
 * The seat map's read: the seats taken now, by how they are claimed, or {'BUILD'}. ARGV: now ms
 * (lapsed claims are given back first, as for the counts), then the statuses that claim a seat for
 * good without a reservation (their claim is 'sold:' .. status, see mysqlClaim). Replies
 * {'OK', held csv, for-good csv, 'id=status' csv}: a claim with an expiry (a hold, an allocation in
 * flight, an offer), for good by a reservation ('sold:' .. owner), or for good by such a status.
 * Seats in no list are free. Ids only, so a full arena's map costs bytes per taken seat.
 */
export const TAKEN = `${COMMON}
local nsec = redis.call('HGET', META, 'nsec')
if not nsec then return {'BUILD'} end
for i = 0, tonumber(nsec) - 1 do
  local sec = redis.call('HGET', META, 'sec:' .. i)
  if not sec or redis.call('HEXISTS', META, 'built:' .. sec) == 0 then return {'BUILD'} end
end
reclaim(tonumber(ARGV[1]))
local named = {}
for i = 2, #ARGV do named['sold:' .. ARGV[i]] = ARGV[i] end
local own = redis.call('HGETALL', OWN)
local held, good, other = {}, {}, {}
for i = 1, #own, 2 do
  local o = own[i + 1]
  if named[o] then other[#other + 1] = own[i] .. '=' .. named[o]
  elseif string.sub(o, 1, 5) == 'sold:' then good[#good + 1] = own[i]
  else held[#held + 1] = own[i] end
end
return {'OK', table.concat(held, ','), table.concat(good, ','), table.concat(other, ',')}
`;
