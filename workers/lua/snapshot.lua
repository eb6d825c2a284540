-- Read what a commit decides on, in one round trip: whether the entry is done already, the
-- owners of the canonical URL and the text hash, and the band slots of the new article.
-- KEYS: 1 done_items  2 dedup_url bucket prefix  3 dedup_text bucket prefix (exact.lua)
-- ARGV: 1 entry_id  2 canonical_url  3 text_hash  4 band key prefix  5 slots "bucket:field;..."
local url_key, url_field = exact_slot(KEYS[2], ARGV[2])
local text_key, text_field = exact_slot(KEYS[3], ARGV[3])
local out = {redis.call('ZSCORE', KEYS[1], ARGV[1]) and '1' or '',
             redis.call('HGET', url_key, url_field) or '',
             redis.call('HGET', text_key, text_field) or ''}
for bucket, field in string.gmatch(ARGV[5], '(%x+):(%d+)') do
  out[#out + 1] = redis.call('HGET', ARGV[4] .. bucket, field) or ''
end
return out
