-- Enqueue a feed's entries that were never seen before, atomically, so that two pollers
-- (or a re-poll, or a WebSub push) never enqueue one entry twice.
-- KEYS: 1 seen set of this feed (zset: entry id -> first seen)  2 items stream  3 metrics
-- ARGV: 1 now_epoch  2 entries metric field  then pairs: entry id, item JSON
-- Returns the positions (0-based, in ARGV pair order) of the entries enqueued.
local now = tonumber(ARGV[1])
local added = {}
for i = 3, #ARGV, 2 do
  if redis.call('ZADD', KEYS[1], 'NX', now, ARGV[i]) == 1 then
    redis.call('XADD', KEYS[2], '*', 'item', ARGV[i + 1])
    added[#added + 1] = (i - 3) / 2
  end
end
if #added > 0 then redis.call('HINCRBY', KEYS[3], ARGV[2], #added) end
return added
