-- 0002_former_zset: establishes schema version 2, in which a channel's dead
-- tokens are bounded per port.
-- KEYS[1]: the schema key (<prefix>schema)
-- ARGV[1]: this step's version (2)
-- Returns the schema version after the step.
--
-- What changed since version 1 (see 0001_initial.lua for the rest):
--   <prefix>{T}:former   was a set of "<port id>:<token hash>" killed by a
--                        transfer, never trimmed; it is now a zset of the
--                        same members, each side's numbered in the order
--                        they died (port 1's scored 1, 2, 3 ..., port 2's
--                        -1, -2, -3 ...), at most 256 (store.MaxFormerTokens)
--                        per port, the oldest forgotten first.
-- Added with it, with a TTL, so needing no version of their own:
--   <prefix>{T}:idem:<index>  also holds a transfer's answer under an
--                        Idempotency-Key ('done <fingerprint> <answer
--                        sealed under the key>', store.TransferIndex), and
--                        a post's index now covers the token presented.
-- channel/0002_former_zset.lua converts each channel's set before this step
-- records the version; a build of version 1 finds a zset where it expects a
-- set, so it stops being ready (GET /readyz) once this version is set.
local want = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur == nil then
  return redis.error_reply('schema key holds a non-number')
end
if cur >= want then
  return cur
end
if cur ~= want - 1 then
  return redis.error_reply('schema at ' .. cur .. ', step ' .. want .. ' needs ' .. (want - 1))
end
redis.call('SET', KEYS[1], want)
return want
