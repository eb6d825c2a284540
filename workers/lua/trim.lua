-- Drop everything first seen before the cutoff, in bounded batches (the caller loops while
-- the return value is the batch size), so one trim never blocks Redis for long.
-- KEYS: 1 event_data  2 event_meta  3 events_by_date  4 events_by_seen  5 article_data
--       6 articles_by_seen  7 dedup_url  8 dedup_text  9 done_items  10 events_log
-- ARGV: 1 cutoff_epoch  2 batch
local cutoff, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
local removed = 0
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
removed = removed + #ids
local akeys = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', cutoff, 'LIMIT', 0, batch)
for _, akey in ipairs(akeys) do
  local raw = redis.call('HGET', KEYS[5], akey)
  if raw then
    local rec = cjson.decode(raw)
    local owner = redis.call('HGET', KEYS[7], rec.canonical_url)
    if owner and string.sub(owner, 1, #akey + 1) == akey .. '|' then
      redis.call('HDEL', KEYS[7], rec.canonical_url)
    end
    if redis.call('HGET', KEYS[8], rec.text_hash) == akey then
      redis.call('HDEL', KEYS[8], rec.text_hash)
    end
  end
  redis.call('HDEL', KEYS[5], akey)
  redis.call('ZREM', KEYS[6], akey)
end
removed = removed + #akeys
redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', cutoff)
redis.call('XTRIM', KEYS[10], 'MINID', string.format('%d', cutoff * 1000))
return removed
