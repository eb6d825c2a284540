-- Drop everything first seen before the cutoff, in bounded batches (the caller loops while
-- something was removed), so one trim never blocks Redis for long.
-- Events: their data, merge cells and reports. Articles: the ones the caller names (it read
-- their fingerprints to find their band slots, which only Python can compute), each re-checked
-- here to be still out of the window; their URL, text-hash, fingerprint and band entries go too.
-- KEYS: 1 event_data  2 event_meta  3 events_by_date  4 events_by_seen  5 article_data
--       6 articles_by_seen  7 dedup_url and 8 dedup_text bucket prefixes (exact.lua)
--       9 done_items  10 events_log
--       11 dedup_fp  12 event_reports  13 report_event  14 page_validators  15 event_history
-- ARGV: 1 cutoff_epoch  2 batch  3 event cell key prefix  4 band key prefix  5 n_articles,
--       then per article: key, n ('' = not indexed), its band slots "bucket:field;..."
local cutoff, batch, cell_prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local band_prefix = ARGV[4]
local removed = 0
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', KEYS[1], id)
  if raw then
    local ev = cjson.decode(raw)
    local loc = ev.location
    if type(loc) == 'table' and type(loc.country) == 'string' and type(ev.date) == 'string' then
      redis.call('SREM', cell_prefix .. loc.country .. ':' .. string.sub(ev.date, 1, 10), id)
    end
    if type(ev.provenance) == 'table' then
      for _, p in ipairs(ev.provenance) do
        if type(p.report) == 'string' and redis.call('HGET', KEYS[13], p.report) == id then
          redis.call('HDEL', KEYS[12], p.report)
          redis.call('HDEL', KEYS[13], p.report)
        end
      end
    end
  end
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[15], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
removed = removed + #ids


local pos = 6
for _ = 1, tonumber(ARGV[5]) do
  local akey, n, slots = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
  pos = pos + 3
  local seen = redis.call('ZSCORE', KEYS[6], akey)
  if seen and tonumber(seen) <= cutoff then
    local raw = redis.call('HGET', KEYS[5], akey)
    if raw then
      local rec = cjson.decode(raw)
      local urls = rec.urls
      if type(urls) ~= 'table' then urls = {rec.canonical_url} end
      for _, url in ipairs(urls) do
        local key, field = exact_slot(KEYS[7], url)
        local owner = redis.call('HGET', key, field)
        if owner and string.sub(owner, 1, #akey + 1) == akey .. '|' then
          redis.call('HDEL', key, field)
        end
      end
      if type(rec.page) == 'string' then redis.call('HDEL', KEYS[14], rec.page) end
      local key, field = exact_slot(KEYS[8], rec.text_hash)
      if redis.call('HGET', key, field) == akey then redis.call('HDEL', key, field) end
    end
    if n ~= '' then
      for bucket, field in string.gmatch(slots, '(%x+):(%d+)') do
        remove_member(band_prefix .. bucket, field, n)
      end
      redis.call('HDEL', KEYS[11], n)
    end
    redis.call('HDEL', KEYS[5], akey)
    redis.call('HDEL', KEYS[14], akey)
    redis.call('ZREM', KEYS[6], akey)
    removed = removed + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', cutoff)
redis.call('XTRIM', KEYS[10], 'MINID', string.format('%d', cutoff * 1000))
return removed
