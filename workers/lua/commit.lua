-- Commit one processed queue entry atomically: the verdict's index writes, the article record,
-- the events (created, merged or updated), the durable log, PUBLISH and the done-mark all happen
-- here or not at all, so a redelivered entry (worker died before XACK) is recognised by its
-- done-mark and publishes nothing twice.
--
-- The worker decided the verdict and the event merges on a snapshot (workers/dedupindex.py,
-- workers/store.py). This script first re-checks that snapshot: the URL and text owners it saw,
-- each band slot of the new article as it read it, and the version of every event it changes.
-- If anything moved (another worker committed in between) it writes nothing and returns
-- 'retry'; the worker reads again and re-decides. That is what makes two copies committed at
-- the same moment yield exactly one `new`. A split (entry_id '') skips the article part.
--
-- KEYS: 1 done_items  2 dedup_url and 3 dedup_text bucket prefixes (exact.lua)
--       4 article_data  5 articles_by_seen
--       6 event_data  7 event_meta  8 events_by_date  9 events_by_seen  10 events_log
--       11 metrics  12 dedup_seq  13 dedup_fp  14 event_reports  15 report_event
--       16 page_validators  17 event_history
-- ARGV: 1 entry_id  2 now_epoch  3 now_iso  4 channel  5 polled_at  6 articles_metric_prefix
--       7 events_metric_prefix  8 verdict  9 reason  10 matched  11 article_key  12 owner
--       13 canonical_url  14 text_hash  15 record_json  16 packed fingerprint ('' = not indexed)
--       17 owner_n ('' = give a new number)  18 seen url owner  19 seen text owner
--       20 band key prefix  21 band checks "bucket:field:seen value;..."  22 band adds and
--       23 band removals "bucket:field;..." (the owner's number joins / leaves these slots)
--       24 page key ('' = none)  25 its validators "etag\nlast_modified" ('' = none kept)
--       then counted groups: events (id, body, fingerprint, date_epoch, expected_version,
--       add_cell, remove_cell, 'retracted' or '', history entry JSON, its report ids
--       "rid,rid,..." (kept in its meta: load.lua reads them without decoding the event)), reports (id, json, event id), dropped
--       report ids (no event holds them any more)
local entry_id, now, now_iso, channel, polled_at = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local articles_metric, events_metric = ARGV[6], ARGV[7]
local verdict, reason, matched, akey, owner = ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local canon, thash, record, packed, owner_n = ARGV[13], ARGV[14], ARGV[15], ARGV[16], ARGV[17]

local band_prefix, band_checks, band_adds, band_removes = ARGV[20], ARGV[21], ARGV[22], ARGV[23]
local url_key, url_field, text_key, text_field
if entry_id ~= '' then
  url_key, url_field = exact_slot(KEYS[2], canon)
  text_key, text_field = exact_slot(KEYS[3], thash)
end
local page_key, validators = ARGV[24], ARGV[25]
local pos = 26
local function group(width)
  local n = tonumber(ARGV[pos])
  local first = pos + 1
  pos = pos + 1 + n * width
  return first, n
end
local events_at, n_events = group(10)
local reports_at, n_reports = group(3)
local dropped_at, n_dropped = group(1)

local article = entry_id ~= ''
if article and redis.call('ZSCORE', KEYS[1], entry_id) then
  return {'done', '', '', 0, 0}
end

-- Re-check the snapshot before any write.
if article then
  if (redis.call('HGET', url_key, url_field) or '') ~= ARGV[18] then
    return {'retry', 'url', '', 0, 0}
  end
  if (redis.call('HGET', text_key, text_field) or '') ~= ARGV[19] then
    return {'retry', 'text', '', 0, 0}
  end
  for bucket, field, seen in string.gmatch(band_checks, '(%x+):(%d+):([%d,]*)') do
    if (redis.call('HGET', band_prefix .. bucket, field) or '') ~= seen then
      return {'retry', 'band', '', 0, 0}
    end
  end
end
local metas = {}
for i = 0, n_events - 1 do
  local at = events_at + i * 10
  local meta = redis.call('HGET', KEYS[7], ARGV[at])
  local version = 0
  if meta then version = tonumber(string.match(meta, '^(%d+)|')) end
  if version ~= tonumber(ARGV[at + 4]) then return {'retry', 'event', ARGV[at], 0, 0} end
  metas[i] = meta
end

-- The article: index writes by verdict, then its record.
if article and verdict ~= 'duplicate' then
  local n = owner_n
  if packed ~= '' then
    if n == '' then n = tostring(redis.call('INCR', KEYS[12])) end
    redis.call('HSET', KEYS[13], n, packed)
    for bucket, field in string.gmatch(band_removes, '(%x+):(%d+)') do
      remove_member(band_prefix .. bucket, field, n)
    end
    for bucket, field in string.gmatch(band_adds, '(%x+):(%d+)') do
      add_member(band_prefix .. bucket, field, n)
    end
  end
  redis.call('HSET', url_key, url_field, owner .. '|' .. thash .. '|' .. n)
  redis.call('HSETNX', text_key, text_field, owner)
  if n ~= '' then record = string.sub(record, 1, -2) .. ',"n":' .. n .. '}' end
  redis.call('HSET', KEYS[4], owner, record)
  redis.call('ZADD', KEYS[5], 'NX', now, owner)
elseif article and akey ~= matched and redis.call('HSETNX', KEYS[4], akey, record) == 1 then
  -- A copy at another URL: keep its record (with the verdict) for inspection.
  redis.call('ZADD', KEYS[5], 'NX', now, akey)
end

-- The page's validators, for the conditional GET of its next revision.
if article and page_key ~= '' then
  if validators ~= '' then redis.call('HSET', KEYS[16], page_key, validators)
  else redis.call('HDEL', KEYS[16], page_key) end
end

-- Events: created, merged or revised; each change stamped, logged and published once.
local created, updated = 0, 0
for i = 0, n_events - 1 do
  local at = events_at + i * 10
  local id, body, fp, date_epoch = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local expected, add_cell, remove_cell = tonumber(ARGV[at + 4]), ARGV[at + 5], ARGV[at + 6]
  local retracted = ARGV[at + 7] == 'retracted'
  local meta = metas[i]
  local kind, version, first_seen, seen_epoch = 'created', 1, now_iso, now
  if meta then
    local _, fs, se, old_fp = string.match(meta, '^(%d+)|([^|]*)|([^|]*)|([^|]*)')
    if old_fp == fp then
      kind = nil
    else
      kind, version, first_seen, seen_epoch = 'updated', expected + 1, fs, tonumber(se)
    end
  end
  if kind and retracted then kind = 'retracted' end
  if kind then
    local full = string.sub(body, 1, -2) .. ',"first_seen":"' .. first_seen ..
      '","updated":"' .. now_iso .. '","version":' .. version .. '}'
    redis.call('HSET', KEYS[6], id, full)
    redis.call('HSET', KEYS[7], id,
      version .. '|' .. first_seen .. '|' .. seen_epoch .. '|' .. fp .. '|' .. ARGV[at + 9])
    redis.call('ZADD', KEYS[8], tonumber(date_epoch), id)
    redis.call('ZADD', KEYS[9], seen_epoch, id)
    if remove_cell ~= '' and remove_cell ~= add_cell then redis.call('SREM', remove_cell, id) end
    if add_cell ~= '' then redis.call('SADD', add_cell, id) end
    local msg = '{"kind":"' .. kind .. '","event":' .. full .. '}'
    redis.call('XADD', KEYS[10], '*', 'kind', kind, 'id', id, 'message', msg,
      'polled_at', polled_at, 'committed_at', tostring(now))
    redis.call('PUBLISH', channel, msg)
    -- The story view: this version, when and why, appended to the event's history.
    local entry = '{"version":' .. version .. ',"at":"' .. now_iso .. '","kind":"' .. kind ..
      '",' .. string.sub(ARGV[at + 8], 2)
    local history = redis.call('HGET', KEYS[17], id)
    if history then history = string.sub(history, 1, -2) .. ',' .. entry .. ']'
    else history = '[' .. entry .. ']' end
    if #history > 32768 then
      -- An event copied many times: keep its last 100 versions, not an ever longer string.
      local all, kept = cjson.decode(history), {}
      for k = math.max(1, #all - 99), #all do kept[#kept + 1] = all[k] end
      history = cjson.encode(kept)
    end
    redis.call('HSET', KEYS[17], id, history)
    redis.call('HINCRBY', KEYS[11], events_metric .. kind, 1)
    if kind == 'created' then created = created + 1 else updated = updated + 1 end
  end
end
for i = 0, n_reports - 1 do
  local at = reports_at + i * 3
  redis.call('HSET', KEYS[14], ARGV[at], ARGV[at + 1])
  redis.call('HSET', KEYS[15], ARGV[at], ARGV[at + 2])
end
for i = 0, n_dropped - 1 do
  redis.call('HDEL', KEYS[14], ARGV[dropped_at + i])
  redis.call('HDEL', KEYS[15], ARGV[dropped_at + i])
end

if article then
  redis.call('ZADD', KEYS[1], now, entry_id)
  redis.call('HINCRBY', KEYS[11], articles_metric .. verdict, 1)
end
return {verdict, reason, matched, created, updated}
