
-- Claim up to N due feeds for one poller, atomically: a claimed feed leaves the due zset and
-- gets a lease, so no other poller can take it until this one finishes or the lease expires.
-- Expired leases (their poller died) go back to the due zset first. A due feed whose host is
-- paused or busy is pushed back to when the host should be free, so it does not clog the head.
-- KEYS: 1 due zset  2 leases zset  3 lease owner hash
-- ARGV: 1 now  2 lease_s  3 max feeds  4 token prefix  5 feed state key prefix
--       6 host key prefix  7 host concurrency  8 host spacing_s  9 how many due feeds to look at
-- Returns {next_due_or_empty, id, due, token, {state...}, id, due, token, {state...} ...}
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local out = {''}
local taken = 0
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0,
                       tonumber(ARGV[9]))
for i = 1, #due, 2 do
  if taken >= tonumber(ARGV[3]) then break end
  local id = due[i]
  local skey = ARGV[5] .. id
  local host = redis.call('HGET', skey, 'host') or ''
  local token = ARGV[4] .. ':' .. id
  local wait = gate(ARGV[6] .. host, ARGV[6] .. host .. ':inflight', now, token,
                    tonumber(ARGV[7]), tonumber(ARGV[8]), lease)
  if wait == 0 then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], now + lease, id)
    redis.call('HSET', KEYS[3], id, token)
    taken = taken + 1
    out[#out + 1] = id
    out[#out + 1] = due[i + 1]
    out[#out + 1] = token
    out[#out + 1] = redis.call('HGETALL', skey)
  else
    redis.call('ZADD', KEYS[1], now + wait, id)
  end
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] then out[1] = head[2] end
return out
