
-- One request slot for a host (article pages, robots.txt, WebSub subscriptions).
-- KEYS: 1 host hash  2 host in-flight zset
-- ARGV: 1 now  2 token  3 concurrency (0: no cap)  4 spacing_s (0: no rate cap)  5 hold_s
local wait = gate(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]),
                  tonumber(ARGV[4]), tonumber(ARGV[5]))
return tostring(wait)
