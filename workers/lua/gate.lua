-- Per-host politeness shared by every poller and worker: a pause set by a 429/503, a cap on
-- requests in flight (a zset of tokens scored by when they expire, so a dead holder's slot
-- comes back by itself) and a minimum spacing between requests (GCRA with a burst of one).
-- gate() returns 0 when the request may go now (and records it), else seconds to wait.
-- Prepended to claim.lua and acquire.lua by workers/politeness.py.
local function gate(hkey, ikey, now, token, limit, spacing, hold)
  local h = redis.call('HMGET', hkey, 'paused_until', 'tat')
  local paused = tonumber(h[1]) or 0
  if paused > now then return paused - now end
  if limit > 0 then
    redis.call('ZREMRANGEBYSCORE', ikey, '-inf', now)
    if redis.call('ZCARD', ikey) >= limit then return 0.05 end
  end
  if spacing > 0 then
    local tat = tonumber(h[2]) or 0
    if tat > now then return tat - now end
    redis.call('HSET', hkey, 'tat', tostring(math.max(tat, now) + spacing))
    redis.call('EXPIRE', hkey, 86400)
  end
  if limit > 0 then
    redis.call('ZADD', ikey, now + hold, token)
    redis.call('EXPIRE', ikey, math.ceil(hold) + 1)
  end
  return 0
end
