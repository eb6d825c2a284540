-- Finish one claimed poll: free the host slot, count the poll, and, if this poller still holds
-- the lease and the feed is still listed, store its state and put it back on the schedule.
-- KEYS: 1 due zset  2 leases zset  3 lease owner hash  4 feed list hash  5 feed state hash
--       6 metrics hash  7 host hash  8 host in-flight zset
-- ARGV: 1 id  2 token  3 next due ('' : paused, not rescheduled)  4 polls metric field
--       5 entries seen increment  6 host paused_until ('' : none)  then field, value pairs
redis.call('ZREM', KEYS[8], ARGV[2])
redis.call('HINCRBY', KEYS[6], ARGV[4], 1)
if ARGV[6] ~= '' then
  local current = tonumber(redis.call('HGET', KEYS[7], 'paused_until')) or 0
  if tonumber(ARGV[6]) > current then
    redis.call('HSET', KEYS[7], 'paused_until', ARGV[6])
    redis.call('EXPIRE', KEYS[7], 86400 * 2)
  end
end
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
if #ARGV > 6 then redis.call('HSET', KEYS[5], unpack(ARGV, 7)) end
if tonumber(ARGV[5]) > 0 then redis.call('HINCRBY', KEYS[5], 'entries_seen', ARGV[5]) end
return 1
