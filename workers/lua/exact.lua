-- Exact-match slots (canonical URL, text hash), shared by snapshot.lua, commit.lua and trim.lua:
-- store.py prepends this file to them. Mirrors workers/dedupindex.py exact_slot: the first 64
-- bits of SHA-1 of the string, the top 14 bits pick one of 2^14 bucket hashes (listpack-sized,
-- about 61 fields each at 1M articles), the other 50 bits are the field, in decimal (a 50-bit
-- number is exact in Lua's doubles and Redis stores it in a listpack as an integer).
local function exact_slot(prefix, s)
  local h = redis.sha1hex(s)
  local bucket = math.floor(tonumber(string.sub(h, 1, 4), 16) / 4)
  local field = tonumber(string.sub(h, 4, 16), 16) % 1125899906842624  -- 2^50
  return prefix .. string.format('%04x', bucket), string.format('%.0f', field)
end
