-- Delete the entries of a work stream that every consumer group is done with: XTRIM MINID to
-- the oldest entry some group still needs, i.e. the smaller of its oldest pending entry and the
-- first entry after its last-delivered id. One script, so no delivery or claim can fall
-- between reading what is needed and trimming (see workers/queue.py trim_done for why XTRIM).
-- KEYS: 1 stream  2 metrics
-- ARGV: 1 trimmed metric field
-- Returns the number of entries deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end

-- Stream ids as strings that sort like the ids: both parts zero-padded to 20 digits (2^64 has
-- 20), since Lua numbers are doubles and a sequence number may not fit one exactly.
local function sortable(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return string.rep('0', 20 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
end

local floor = nil -- oldest entry some group still needs; nil: none needs any
local function keep(id)
  if id and (floor == nil or sortable(id) < sortable(floor)) then
    floor = id
  end
end

local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then
  return 0 -- no reader yet: every entry is undelivered
end
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do
    info[g[i]] = g[i + 1]
  end
  keep(redis.call('XPENDING', KEYS[1], info['name'])[2]) -- oldest pending, false if none
  local after = redis.call('XRANGE', KEYS[1], '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
  if after[1] then
    keep(after[1][1]) -- oldest not yet delivered to this group
  end
end

local removed
if floor == nil then
  -- every entry delivered to every group and none pending: all are acknowledged
  removed = redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
else
  removed = redis.call('XTRIM', KEYS[1], 'MINID', floor)
end
if removed > 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[1], removed)
end
return removed
