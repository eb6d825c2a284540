-- Read everything a commit decides on, in one round trip (workers/commit.py `load`): whether
-- the entry is done already, the owners of the canonical URL and the text hash, the values of
-- the new article's band slots and the fingerprints they name, the records of those candidate
-- articles (and which event holds each of their reports), and the incidents a decision may
-- touch (the candidates' events, the events filed
-- in the merge cells of the new reports, any event named) with their reports.
-- commit.lua re-checks what the decision depended on before it writes.
-- KEYS: 1 done_items  2 dedup_url and 3 dedup_text bucket prefixes (exact.lua)  4 dedup_fp
--       5 article_data  6 report_event  7 event_data  8 event_reports  9 event_meta
-- ARGV: 1 entry_id ('' = no article)  2 canonical_url  3 text_hash  4 band key prefix
--       5 slots "bucket:field;..."  6 merge cell keys ";"  7 event ids ";"  8 probe ids ";"
-- Returns a flat array of counted groups (workers/commit.py `_parse_load` reads it back).
local entry_id = ARGV[1]
if entry_id ~= '' and redis.call('ZSCORE', KEYS[1], entry_id) then return {'1'} end

local out = {''}
local function put(v) out[#out + 1] = v end
local function split(s)
  local parts = {}
  for p in string.gmatch(s, '[^;]+') do parts[#parts + 1] = p end
  return parts
end
local function hex(raw)
  return (string.gsub(raw, '.', function(c) return string.format('%02x', string.byte(c)) end))
end

local url_owner, text_owner = '', ''
if entry_id ~= '' then
  local url_key, url_field = exact_slot(KEYS[2], ARGV[2])
  local text_key, text_field = exact_slot(KEYS[3], ARGV[3])
  url_owner = redis.call('HGET', url_key, url_field) or ''
  text_owner = redis.call('HGET', text_key, text_field) or ''
end
put(url_owner)
put(text_owner)

-- Band slots as read, then the fingerprints of every article number they (or the URL) name.
local slots = {}
for bucket, field in string.gmatch(ARGV[5], '(%x+):(%d+)') do
  slots[#slots + 1] = redis.call('HGET', ARGV[4] .. bucket, field) or ''
end
put(#slots)
local numbers, order = {}, {}
for _, v in ipairs(slots) do
  put(v)
  for n in string.gmatch(v, '[^,]+') do
    if not numbers[n] then numbers[n] = true; order[#order + 1] = n end
  end
end
local owner_key, owner_n = string.match(url_owner, '^([^|]*)|[^|]*|?(.*)$')
if owner_n and owner_n ~= '' and not numbers[owner_n] then order[#order + 1] = owner_n end
local candidates, seen_keys = {}, {}
local function candidate(key)
  if key and key ~= '' and not seen_keys[key] then
    seen_keys[key] = true
    candidates[#candidates + 1] = key
  end
end
candidate(owner_key)
candidate(text_owner)
local fps = {}
for _, n in ipairs(order) do
  local raw = redis.call('HGET', KEYS[4], n)
  if raw then
    fps[#fps + 1] = n
    fps[#fps + 1] = raw
    local len = string.byte(raw, 1)
    if len == 0 then candidate(hex(string.sub(raw, 2, 9))) else candidate(string.sub(raw, 2, 1 + len)) end
  end
end
put(#fps / 2)
for _, v in ipairs(fps) do put(v) end

-- Candidate article records, and the events their reports belong to.
local event_ids, event_order = {}, {}
local function want_event(id)
  if id and id ~= '' and not event_ids[id] then
    event_ids[id] = true
    event_order[#event_order + 1] = id
  end
end
local records, holders = {}, {}
for _, key in ipairs(candidates) do
  local raw = redis.call('HGET', KEYS[5], key)
  if raw then
    records[#records + 1] = key
    records[#records + 1] = raw
    local ok, rec = pcall(cjson.decode, raw)
    if ok and type(rec) == 'table' and type(rec.reports) == 'table' then
      for _, rid in ipairs(rec.reports) do
        local holder = type(rid) == 'string' and redis.call('HGET', KEYS[6], rid)
        if holder then
          want_event(holder)
          holders[#holders + 1] = rid
          holders[#holders + 1] = holder
        end
      end
    end
  end
end
put(#records / 2)
for _, v in ipairs(records) do put(v) end
put(#holders / 2)
for _, v in ipairs(holders) do put(v) end

-- Merge cells of the new reports.
local cells = split(ARGV[6])
put(#cells)
for _, cell in ipairs(cells) do
  local members = redis.call('SMEMBERS', cell)
  put(cell)
  put(table.concat(members, ';'))
  for _, id in ipairs(members) do want_event(id) end
end
for _, id in ipairs(split(ARGV[7])) do want_event(id) end

-- The events (with their meta version) and every report they merge.
local events, rids = {}, {}
for _, id in ipairs(event_order) do
  local raw = redis.call('HGET', KEYS[7], id)
  if raw then
    local meta = redis.call('HGET', KEYS[9], id) or ''
    events[#events + 1] = id
    events[#events + 1] = raw
    events[#events + 1] = string.match(meta, '^(%d+)|') or '0'
    local listed = string.match(meta, '^%d+|[^|]*|[^|]*|[^|]*|(.+)$')
    if listed then
      for rid in string.gmatch(listed, '[^,]+') do rids[#rids + 1] = rid end
    else  -- stored before metas listed their reports
      local ok, ev = pcall(cjson.decode, raw)
      if ok and type(ev) == 'table' and type(ev.provenance) == 'table' then
        for _, p in ipairs(ev.provenance) do
          if type(p) == 'table' and type(p.report) == 'string' then rids[#rids + 1] = p.report end
        end
      end
    end
  end
end
put(#events / 3)
for _, v in ipairs(events) do put(v) end
local reports = {}
for _, rid in ipairs(rids) do
  local raw = redis.call('HGET', KEYS[8], rid)
  if raw then
    reports[#reports + 1] = rid
    reports[#reports + 1] = raw
  end
end
put(#reports / 2)
for _, v in ipairs(reports) do put(v) end

-- Which of the ids a new event might take exist already.
local taken = {}
for _, id in ipairs(split(ARGV[8])) do
  if redis.call('HEXISTS', KEYS[7], id) == 1 then taken[#taken + 1] = id end
end
put(#taken)
for _, v in ipairs(taken) do put(v) end
return out
