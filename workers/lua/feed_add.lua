-- List a feed and make it due now, in one step: a start-up interrupted between listing a feed
-- and scheduling it would leave it listed (so the next start takes it as known) yet never due.
-- A paused feed is resumed; a feed a poller holds is left to that poller, which reschedules it.
-- KEYS: 1 feed list hash  2 the feed's state hash  3 leases zset  4 due zset
-- ARGV: 1 feed id  2 url  3 host  4 now  5 title ('' keeps the one stored)
-- Returns 1 when the feed was not listed before.
local new = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'url', ARGV[2], 'host', ARGV[3], 'paused', '0', 'errors', '0')
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'title', ARGV[5]) end
if new == 1 then redis.call('HSET', KEYS[2], 'added', ARGV[4]) end
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('ZADD', KEYS[4], 'NX', ARGV[4], ARGV[1])
end
return new
