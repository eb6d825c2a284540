-- Bucketed band members ("n,n,..." in one hash field), shared by commit.lua and trim.lua:
-- store.py prepends this file to both scripts.
local function add_member(bucket, field, n)
  local cur = redis.call('HGET', bucket, field)
  if not cur then
    redis.call('HSET', bucket, field, n)
  elseif not string.find(',' .. cur .. ',', ',' .. n .. ',', 1, true) then
    redis.call('HSET', bucket, field, cur .. ',' .. n)
  end
end
local function remove_member(bucket, field, n)
  local cur = redis.call('HGET', bucket, field)
  if not cur then return end
  local kept = {}
  for m in string.gmatch(cur, '[^,]+') do
    if m ~= n then kept[#kept + 1] = m end
  end
  if #kept == 0 then redis.call('HDEL', bucket, field)
  else redis.call('HSET', bucket, field, table.concat(kept, ',')) end
end
