-- Commit one processed queue entry atomically: dedup verdict, article record, events,
-- durable log, PUBLISH and the done-mark all happen here or not at all, so a redelivered
-- entry (worker died before XACK) is recognised by its done-mark and publishes nothing twice.
--
-- KEYS: 1 done_items  2 dedup_url  3 dedup_text  4 article_data  5 articles_by_seen
--       6 event_data  7 event_meta  8 events_by_date  9 events_by_seen  10 events_log
--       11 metrics
-- ARGV: 1 entry_id  2 article_key  3 canonical_url  4 text_hash  5 article_json (no verdict)
--       6 now_epoch  7 now_iso  8 channel  9 polled_at  10 articles_metric_prefix
--       11 events_metric_prefix  12 n_events, then per event: id, body_json, fingerprint, date_epoch
local entry_id, akey, canon, thash, ajson = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, now_iso, channel, polled_at = tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local articles_metric, events_metric = ARGV[10], ARGV[11]
local n_events = tonumber(ARGV[12])

if redis.call('ZSCORE', KEYS[1], entry_id) then
  return {'done', '', '', 0, 0}
end

-- Verdict. dedup_url maps a canonical URL to "article_key|text_hash" of its latest text.
local verdict, reason, matched = 'new', 'first', ''
local url_owner = redis.call('HGET', KEYS[2], canon)
local text_owner = redis.call('HGET', KEYS[3], thash)
if url_owner then
  local sep = string.find(url_owner, '|', 1, true)
  matched = string.sub(url_owner, 1, sep - 1)
  if string.sub(url_owner, sep + 1) == thash then
    verdict, reason = 'duplicate', 'canonical_url'
  else
    verdict, reason = 'update', 'canonical_url'
  end
elseif text_owner then
  verdict, reason, matched = 'duplicate', 'text_hash', text_owner
end

local function quoted(s)
  if s == '' then return 'null' end
  return cjson.encode(s)
end
local record = string.sub(ajson, 1, -2) .. ',"verdict":{"verdict":"' .. verdict ..
  '","reason":"' .. reason .. '","matched":' .. quoted(matched) .. '}}'

local created, updated = 0, 0
if verdict ~= 'duplicate' then
  local owner = akey
  if verdict == 'update' then owner = matched end
  redis.call('HSET', KEYS[2], canon, owner .. '|' .. thash)
  redis.call('HSETNX', KEYS[3], thash, owner)
  redis.call('HSET', KEYS[4], owner, record)
  redis.call('ZADD', KEYS[5], 'NX', now, owner)
  for i = 0, n_events - 1 do
    local base = 13 + i * 4
    local id, body, fp, date_epoch = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
    local meta = redis.call('HGET', KEYS[7], id)
    local kind, version, first_seen, seen_epoch = 'created', 1, now_iso, now
    if meta then
      local v, fs, se, old_fp = string.match(meta, '^(%d+)|([^|]*)|([^|]*)|(.*)$')
      if old_fp == fp then
        kind = nil
      else
        kind, version, first_seen, seen_epoch = 'updated', tonumber(v) + 1, fs, tonumber(se)
      end
    end
    if kind then
      local full = string.sub(body, 1, -2) .. ',"first_seen":"' .. first_seen ..
        '","updated":"' .. now_iso .. '","version":' .. version .. '}'
      redis.call('HSET', KEYS[6], id, full)
      redis.call('HSET', KEYS[7], id, version .. '|' .. first_seen .. '|' .. seen_epoch .. '|' .. fp)
      redis.call('ZADD', KEYS[8], tonumber(date_epoch), id)
      redis.call('ZADD', KEYS[9], seen_epoch, id)
      local msg = '{"kind":"' .. kind .. '","event":' .. full .. '}'
      redis.call('XADD', KEYS[10], '*', 'kind', kind, 'id', id, 'message', msg,
        'polled_at', polled_at, 'committed_at', tostring(now))
      redis.call('PUBLISH', channel, msg)
      redis.call('HINCRBY', KEYS[11], events_metric .. kind, 1)
      if kind == 'created' then created = created + 1 else updated = updated + 1 end
    end
  end
elseif reason == 'text_hash' and redis.call('HSETNX', KEYS[4], akey, record) == 1 then
  -- A copy at another URL: keep its record (with the verdict) for inspection.
  redis.call('ZADD', KEYS[5], 'NX', now, akey)
end

redis.call('ZADD', KEYS[1], now, entry_id)
redis.call('HINCRBY', KEYS[11], articles_metric .. verdict, 1)
return {verdict, reason, matched, created, updated}
