-- Take, renew or give back the lease on one webhook target, so one process at a time delivers
-- to it. KEYS[1] lease key; ARGV[1] this process's token, ARGV[2] lease length in ms (0: give
-- it back if ours). Returns 1 when this process holds the lease afterwards.
local holder = redis.call('GET', KEYS[1])
if ARGV[2] == '0' then
  if holder == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 0
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
