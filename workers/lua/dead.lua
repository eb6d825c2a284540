-- Move one entry to the dead-letter stream, once: only the call whose XACK removes it from
-- the pending list writes the dead letter and counts it, so racing consumers cannot double it.
-- An entry whose commit is stored already (in the done set: an earlier delivery committed, then
-- its XACK was lost and later deliveries failed) is only acked: its effects are stored, and a
-- dead letter would report as failed an article that was not.
-- KEYS: 1 stream  2 dead stream  3 errors hash  4 metrics  5 done items
-- ARGV: 1 group  2 entry id  3 error  4 dead metric field  5 failed metric field
--       6 already-done metric field  then field/value pairs of the entry
-- Returns 0: not pending (another consumer moved it), 1: dead-lettered, 2: done, only acked.
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[2])
if redis.call('ZSCORE', KEYS[5], ARGV[2]) then
  redis.call('HINCRBY', KEYS[4], ARGV[6], 1)
  return 2
end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'entry_id'
fields[#fields + 1] = ARGV[2]
fields[#fields + 1] = 'error'
fields[#fields + 1] = ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', unpack(fields))
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
return 1
