"""The Lua scripts of the Redis limiter: every change to a shared counter is one of these,
run atomically by Redis, so no two processes can read a count, both decide it fits, and
both write it back (the race of hand-written Redis token buckets).

Time inside a script is Redis's own (``TIME``) plus the exchange's offset from it when one
has been shared (``KEYS[1]``, in ms): every process counts in the same windows whatever its
own clock says. All times are milliseconds on that clock.

A counter is a hash: ``i`` the index of its current window (start = i * length), ``u`` the
units charged in it, ``p`` those of the window before, for the margin after a boundary in
which the exchange, whose clock may lag, may still be counting the old window, and ``n``
those already charged to the window after, for the margin before a boundary (a request
sent then may arrive, or be counted by a clock running ahead, in the next window). ``q``
is the queue of processes refused in window ``qi`` for want of room, in the order of their
first refusal (``id:units,...``, each with the cost of the request it waits to send):
when units come back to that window before its closing margin (a lease returned), the
first ones the room covers are woken (a ``room`` event naming them) instead of sleeping
to the next window.
"""

from __future__ import annotations

__all__ = [
    "ADD",
    "CACHE_LOOK",
    "CACHE_RELEASE",
    "CACHE_STORE",
    "GIVE_BACK",
    "HOLD",
    "LEAVE",
    "NOW",
    "OBSERVE",
    "TAKE",
]

_CLOCK = """
local function shared_now(offset_key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  local shared = redis.call('GET', offset_key)
  local offset = tonumber(shared or '0')
  return now + offset, offset, shared
end
local function load(key, now, len)
  local h = redis.call('HMGET', key, 'i', 'u', 'p', 'n')
  local index = math.floor(now / len)
  local si, u, p, n = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0,
    tonumber(h[4]) or 0
  if si == nil or index > si then
    if si ~= nil and index == si + 1 then
      p, u = u, n
    elseif si ~= nil and index == si + 2 then
      p, u = n, 0
    else
      p, u = 0, 0
    end
    n = 0
    si = index
  end
  return si, u, p, n
end
local function queue_read(key, index)
  local h = redis.call('HMGET', key, 'qi', 'q')
  local q = {}
  if tonumber(h[1]) == index and h[2] then
    for id, units in string.gmatch(h[2], '([^:,]+):(%d+)') do
      q[#q + 1] = {id, tonumber(units)}
    end
  end
  return q
end
local function queue_write(key, index, q)
  local parts = {}
  for k, e in ipairs(q) do parts[k] = e[1] .. ':' .. e[2] end
  redis.call('HSET', key, 'qi', index, 'q', table.concat(parts, ','))
end
-- Units came back to a window (room left: room): wake, in queue order, each waiting
-- process whose request the room still covers (a later, smaller one may pass an earlier
-- one that does not fit), except 'skip'; the woken leave the queue (one refused again
-- joins it at the end). Only before the closing margin: a request admitted there is
-- charged to the next window too, which gains nothing over waiting for it.
local function queue_wake(key, index, room, skip, channel, open)
  if not open or room <= 0 then return end
  local q = queue_read(key, index)
  if #q == 0 then return end
  local woken, rest = {}, {}
  for _, e in ipairs(q) do
    if e[1] ~= skip and e[2] <= room then
      room = room - e[2]
      woken[#woken + 1] = e[1]
    else
      rest[#rest + 1] = e
    end
  end
  if #woken == 0 then return end
  queue_write(key, index, rest)
  redis.call('PUBLISH', channel, cjson.encode({kind = 'room', key = key, ids = woken}))
end
"""

NOW = (
    _CLOCK
    + """
return tostring(shared_now(KEYS[1]))
"""
)
"""The shared clock, as text (ms with a fraction): how a process measures its offset."""

TAKE = (
    _CLOCK
    + """
-- KEYS: offset, hold, then one counter per window charged.
-- ARGV: safety ms, lease fraction of the room, lease cap (fraction of the limit), this
--       process's id (its name in the queue), then limit, length ms, cost, and the units
--       left of this process's lease (already counted) and their window index, for each
--       window: spent on the request, or given back when it must wait (the process
--       forgets them either way).
-- Returns {0, now, ms the leases last (until the margin before the first window's end),
--      offset, then index, used, lease per window} or {1, now, ban end, message} or
--      {2, now, ms to wait, offset, pause end, then index, used per window}; the offset
--      (the exchange's clock minus Redis's, ms) as text, '' when none is shared (never,
--      or it expired).
local now, offset, shared = shared_now(KEYS[1])
local offset_text = ''
if shared then offset_text = tostring(offset) end
local hold = redis.call('HMGET', KEYS[2], 'ban', 'pause', 'msg')
local ban = tonumber(hold[1]) or 0
if now < ban then return {1, math.floor(now), math.floor(ban), hold[3] or ''} end
local wait = 0
local pause = tonumber(hold[2]) or 0
if now < pause then wait = pause - now end
local safety, fraction, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local id = ARGV[4]
local n = #KEYS - 2
local state = {}
for w = 1, n do
  local limit, len, cost = tonumber(ARGV[5 * w]), tonumber(ARGV[5 * w + 1]),
    tonumber(ARGV[5 * w + 2])
  local held, held_index = tonumber(ARGV[5 * w + 3]), tonumber(ARGV[5 * w + 4])
  local si, u, p, n = load(KEYS[2 + w], now, len)
  if not (held > 0 and si == held_index) then held = 0 end
  local full = cost
  cost = math.max(0, cost - held)
  local start = si * len
  local margin = (now - start) < safety
  local tail = (start + len - now) < safety
  local short = false
  if u + cost > limit then
    -- Not before the next window; and then its margin holds it too (this window, full
    -- enough to refuse it, is what the exchange may still be counting): ask after both,
    -- unless units come back to this window before then (the queue, q).
    wait = math.max(wait, start + len + safety - now)
    short = true
  elseif margin and p + cost > limit then
    wait = math.max(wait, start + safety - now)
  elseif tail and n + full > limit then
    -- It fits this window but not the next one it may arrive in.
    wait = math.max(wait, start + len - now)
  end
  state[w] = {limit, len, cost, si, u, p, start, margin, held, n, tail, full, short}
end
if wait > 0 then
  -- The lease's remainder, too small for this request, goes back for the others (it
  -- wakes nobody: a few units, fewer than this request needs, which the processes still
  -- sending take up; waking a queued one for them measured more round trips than it
  -- served); a request refused for want of room joins the queue.
  local out = {2, math.floor(now), math.ceil(wait), offset_text, math.floor(pause)}
  for w = 1, n do
    local s = state[w]
    local key, si, u = KEYS[2 + w], s[4], s[5]
    if s[9] > 0 then
      u = math.max(0, u - s[9])
      redis.call('HSET', key, 'i', si, 'u', u, 'p', s[6], 'n', s[10])
    end
    if s[13] and not s[11] then
      local q = queue_read(key, si)
      local found = false
      for _, e in ipairs(q) do
        if e[1] == id then
          e[2] = s[12]
          found = true
        end
      end
      if not found then q[#q + 1] = {id, s[12]} end
      queue_write(key, si, q)
    end
    out[#out + 1] = si
    out[#out + 1] = u
  end
  return out
end
local out = {0, math.floor(now), 0, offset_text}
local first_end = nil
for w = 1, n do
  local s = state[w]
  local limit, len, cost, si, u, p, start, margin, n, tail, full =
    s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[10], s[11], s[12]
  local room = limit - u - cost
  if margin then room = math.min(room, limit - p - cost) end
  -- No lease in the margin before a boundary: each request sent then is charged to the
  -- next window too, which a lease spent without asking could not be.
  local lease = 0
  if not tail then lease = math.floor(math.min(room * fraction, limit * cap)) end
  if lease < 0 then lease = 0 end
  u = u + cost + lease
  if margin then p = p + cost + lease end
  if tail then n = n + full end
  redis.call('HSET', KEYS[2 + w], 'i', si, 'u', u, 'p', p, 'n', n)
  redis.call('PEXPIRE', KEYS[2 + w], math.ceil(2 * len + 60000))
  -- Served: out of the queue, if it was in it.
  local q = queue_read(KEYS[2 + w], si)
  for k, e in ipairs(q) do
    if e[1] == id then
      table.remove(q, k)
      queue_write(KEYS[2 + w], si, q)
      break
    end
  end
  local left = math.max(0, start + len - safety - now)
  if first_end == nil or left < first_end then first_end = left end
  out[#out + 1] = si
  out[#out + 1] = u
  out[#out + 1] = lease
end
out[3] = math.floor(first_end)
return out
"""
)
"""Charge a request's costs to every window it counts in, all or nothing (less what is
left of the process's lease in that window, spent on it rather than stranded), and lease
the process a block of each window's room (a fraction of what is left, capped) so that its
next requests need no round trip. In the margin after a boundary the request (and the
lease) must fit the previous window too, and is charged to both; in the margin before a
boundary the request must fit the next window too and is charged to both, and no lease is
given (a lease lasts until that margin begins). A request refused for want of room joins
the window's queue (``q``): returned units wake it within the window."""

GIVE_BACK = (
    _CLOCK
    + """
-- KEYS: offset, then one counter per window. ARGV: safety ms, this process's id, the
--       event channel, then window index, units, limit, length ms for each.
local now = shared_now(KEYS[1])
local safety, id, channel = tonumber(ARGV[1]), ARGV[2], ARGV[3]
for w = 1, #KEYS - 1 do
  local index, units = tonumber(ARGV[4 * w]), tonumber(ARGV[4 * w + 1])
  local limit, len = tonumber(ARGV[4 * w + 2]), tonumber(ARGV[4 * w + 3])
  local key = KEYS[1 + w]
  local h = redis.call('HMGET', key, 'i', 'u')
  if tonumber(h[1]) == index then
    local u = math.max(0, (tonumber(h[2]) or 0) - units)
    redis.call('HSET', key, 'u', u)
    queue_wake(key, index, limit - u, id, channel, now < (index + 1) * len - safety)
  end
end
return 1
"""
)
"""Return the unused part of leases, to the window they were taken from (a window that has
already ended is left alone: its budget is gone either way), and wake the processes
queued in it that the room now covers."""

LEAVE = (
    _CLOCK
    + """
-- KEYS: offset, then one counter per window. ARGV: safety ms, this process's id, the
--       event channel, then limit, length ms for each.
local now = shared_now(KEYS[1])
local safety, id, channel = tonumber(ARGV[1]), ARGV[2], ARGV[3]
for w = 1, #KEYS - 1 do
  local limit, len = tonumber(ARGV[2 * w + 2]), tonumber(ARGV[2 * w + 3])
  local key = KEYS[1 + w]
  local h = redis.call('HMGET', key, 'qi', 'i', 'u')
  local qi = tonumber(h[1])
  if qi then
    local q = queue_read(key, qi)
    for k, e in ipairs(q) do
      if e[1] == id then
        table.remove(q, k)
        queue_write(key, qi, q)
        break
      end
    end
  end
  local index = tonumber(h[2])
  if index then
    local u = tonumber(h[3]) or 0
    queue_wake(key, index, limit - u, id, channel, now < (index + 1) * len - safety)
  end
end
return 1
"""
)
"""Take a process out of the queues it joined when its waiting request is given up
(cancelled, timed out): queued, it would be woken by returned units in its turn, and
the wake, spent on nobody, would leave the next process asleep to the next window. Room
already in the window (a wake it was sent and will not use) wakes the next ones."""

ADD = (
    _CLOCK
    + """
-- KEYS: offset, then one counter per window. ARGV: length ms, index, units for each.
local now = shared_now(KEYS[1])
for w = 1, #KEYS - 1 do
  local len, index, units = tonumber(ARGV[3 * w - 2]), tonumber(ARGV[3 * w - 1]),
    tonumber(ARGV[3 * w])
  local si, u, p, n = load(KEYS[1 + w], now, len)
  if si == index then
    redis.call('HSET', KEYS[1 + w], 'i', si, 'u', u + units, 'p', p, 'n', n)
    redis.call('PEXPIRE', KEYS[1 + w], math.ceil(2 * len + 60000))
  end
end
return 1
"""
)
"""Add what a process spent while Redis was out of reach (or what Redis forgot when it
restarted empty) to the current windows, so the count is right again before the next
request is admitted."""

OBSERVE = (
    _CLOCK
    + """
-- KEYS: offset, then one counter per window. ARGV: safety ms, then length ms, the used
--       count the exchange reported and the age of the request it answered (ms), for
--       each window.
local now = shared_now(KEYS[1])
local safety = tonumber(ARGV[1])
for w = 1, #KEYS - 1 do
  local len, used = tonumber(ARGV[3 * w - 1]), tonumber(ARGV[3 * w])
  local sent = now - tonumber(ARGV[3 * w + 1])
  local si, u, p, n = load(KEYS[1 + w], now, len)
  local start = si * len
  if sent >= start + safety and sent < start + len and used > u then
    redis.call('HSET', KEYS[1 + w], 'i', si, 'u', used, 'p', p, 'n', n)
    redis.call('PEXPIRE', KEYS[1 + w], math.ceil(2 * len + 60000))
  end
end
return 1
"""
)
"""Reconcile with the usage an exchange reports: its count wins when it is higher (other
programs share the address), and only for a request sent in the current window."""

HOLD = (
    _CLOCK
    + """
-- KEYS: offset, hold. ARGV: 'ban' or 'pause', duration ms, message, channel, scope.
local now = shared_now(KEYS[1])
local field = ARGV[1]
local till = now + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[2], field)) or 0
local message = ARGV[3]
if till > current then
  redis.call('HSET', KEYS[2], field, till)
  if field == 'ban' then redis.call('HSET', KEYS[2], 'msg', message) end
  local keep = math.ceil(till - now + 60000)
  if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
else
  till = current
  if field == 'ban' then message = redis.call('HGET', KEYS[2], 'msg') or message end
end
redis.call('PUBLISH', ARGV[4], cjson.encode({kind = field, scope = ARGV[5],
  till = math.floor(till), msg = message}))
return {math.floor(now), math.floor(till)}
"""
)
"""Hold every process behind a scope: a pause (HTTP 429) or a ban (HTTP 418) until the
later of the given end and the one already recorded, announced on the event channel so
that processes living on their leases stop at once too."""

CACHE_LOOK = """
-- KEYS: the value, its fetch lock. ARGV: this process's lock token, the lock's time (ms).
-- Returns {1, value, ms it has left}, {2} when this process now holds the lock and
-- fetches, or {0} when another process is fetching it.
local value = redis.call('GET', KEYS[1])
if value then return {1, value, redis.call('PTTL', KEYS[1])} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
"""
"""Read a shared value, or take the lock to fetch it when nobody holds it, in one round
trip."""

CACHE_STORE = """
-- KEYS: the value, its fetch lock. ARGV: the value, its time to live (ms), this process's
--       lock token, the event channel, the event.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
"""
"""Keep a fetched value for every process, release the fetch lock if this process still
holds it (it may have expired and been taken by another), and wake the processes waiting
for the value, in one atomic step."""

CACHE_RELEASE = """
-- KEYS: the fetch lock. ARGV: this process's lock token, the event channel, the event.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
"""
"""Give up a fetch lock after a failed fetch (only if still ours), and wake the waiting
processes: one of them takes the lock and fetches in turn."""
