-- Enqueue a feed's entries that were never seen before, and the revisions of those that were,
-- atomically, so that two pollers (or a re-poll, or a WebSub push) never enqueue one entry, or
-- one revision of it, twice. An entry is revised when its updated/published stamp is newer than
-- the one recorded, or its title/summary hash changed; each entry is re-fetched at most
-- max_revisions times while it is remembered (the window), further revisions are counted only.
-- KEYS: 1 seen set of this feed (zset: entry id -> first seen)  2 items stream  3 metrics
--       4 entry states of this feed (hash: entry id -> "stamp|hash|re-fetches")
-- ARGV: 1 now_epoch  2 entries metric field  3 revisions metric field prefix (outcome="")
--       4 max_revisions  5 cutoff (entries first seen before it are forgotten)
--       then quads: entry id, stamp ('' = none), content hash, item JSON
-- Returns the positions (0-based, in ARGV quad order) of the entries enqueued.
local now, max_revisions = tonumber(ARGV[1]), tonumber(ARGV[4])
local added, fresh, revised, limited = {}, 0, 0, 0
for i = 6, #ARGV, 4 do
  local id, stamp, hash, item = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('ZADD', KEYS[1], 'NX', now, id) == 1 then
    redis.call('HSET', KEYS[4], id, stamp .. '|' .. hash .. '|0')
    redis.call('XADD', KEYS[2], '*', 'item', item)
    added[#added + 1] = (i - 6) / 4
    fresh = fresh + 1
  else
    local state = redis.call('HGET', KEYS[4], id)
    if not state then
      -- Seen before entries were tracked: record it, the next change is a revision.
      redis.call('HSET', KEYS[4], id, stamp .. '|' .. hash .. '|0')
    else
      local old_stamp, old_hash, count = string.match(state, '^([^|]*)|([^|]*)|(%d+)$')
      count = tonumber(count) or 0
      local newer = stamp ~= '' and (old_stamp == '' or tonumber(stamp) > tonumber(old_stamp))
      if newer or hash ~= old_hash then
        local keep = old_stamp
        if newer then keep = stamp end
        if count >= max_revisions then
          limited = limited + 1
        else
          count = count + 1
          item = string.sub(item, 1, -2) .. ',"revision":' .. count .. '}'
          redis.call('XADD', KEYS[2], '*', 'item', item)
          added[#added + 1] = (i - 6) / 4
          revised = revised + 1
        end
        redis.call('HSET', KEYS[4], id, keep .. '|' .. hash .. '|' .. count)
      end
    end
  end
end
if fresh > 0 then redis.call('HINCRBY', KEYS[3], ARGV[2], fresh) end
if revised > 0 then redis.call('HINCRBY', KEYS[3], ARGV[3] .. 'enqueued', revised) end
if limited > 0 then redis.call('HINCRBY', KEYS[3], ARGV[3] .. 'limited', limited) end
-- Forget entries first seen before the window, a bounded batch per call.
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5], 'LIMIT', 0, 256)
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('HDEL', KEYS[4], unpack(old))
end
return added
