-- Record one step of a webhook delivery, only while this process holds the target's lease
-- (a process that lost it must not move the cursor another process now owns).
-- KEYS: 1 lease, 2 state hash, 3 dead-letter stream, 4 metrics hash.
-- ARGV: 1 token, 2 action (skip | delivered | failed | dead), 3 log id, 4 attempts,
--       5 next attempt (epoch s), 6 error, 7 message, 8 status, 9 metrics field to count, 10 now.
-- Returns 1 when recorded, 0 when the lease is not ours.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local action, log_id = ARGV[2], ARGV[3]
if action == 'skip' then
  redis.call('HSET', KEYS[2], 'cursor', log_id, 'attempts', 0)
  return 1
end
redis.call('HINCRBY', KEYS[4], ARGV[9], 1)
if action == 'delivered' then
  redis.call('HSET', KEYS[2], 'cursor', log_id, 'attempts', 0, 'last_status', ARGV[8],
    'last_delivered', ARGV[10])
  redis.call('HINCRBY', KEYS[2], 'delivered', 1)
elseif action == 'failed' then
  redis.call('HSET', KEYS[2], 'attempts', ARGV[4], 'next_at', ARGV[5], 'last_error', ARGV[6],
    'last_status', ARGV[8])
else
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'log_id', log_id, 'message', ARGV[7],
    'error', ARGV[6], 'attempts', ARGV[4], 'at', ARGV[10])
  redis.call('HSET', KEYS[2], 'cursor', log_id, 'attempts', 0, 'last_error', ARGV[6],
    'last_status', ARGV[8])
  redis.call('HINCRBY', KEYS[2], 'dead', 1)
end
return 1
