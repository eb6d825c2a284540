-- Move one entry to the dead-letter stream, once: only the call whose XACK removes it from
-- the pending list writes the dead letter and counts it, so racing consumers cannot double it.
-- KEYS: 1 stream  2 dead stream  3 errors hash  4 metrics
-- ARGV: 1 group  2 entry id  3 error  4 dead metric field  5 failed metric field
--       then field/value pairs of the entry
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'entry_id'
fields[#fields + 1] = ARGV[2]
fields[#fields + 1] = 'error'
fields[#fields + 1] = ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', unpack(fields))
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
return 1
