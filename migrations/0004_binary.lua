-- 0004_binary: establishes schema version 4, in which a message may be
-- binary: any bytes, kept with their content type.
-- KEYS[1]: the schema key (<prefix>schema)
-- ARGV[1]: this step's version (4)
-- Returns the schema version after the step.
--
-- What changed since version 3 (see 0001_initial.lua and 0002, 0003 for
-- the rest):
--   <prefix>{T}:q1, :q2  an entry holds either d (a JSON message's data,
--                        as before) or, for a binary message, b (its bytes,
--                        a raw Redis string, never encoded) and c (its
--                        content type, store.ValidContentType), never both.
--                        The bytes count for p1:bytes and p2:bytes as d
--                        does.
--   shard channel <prefix>{T}:notify  a pushed binary message has the mark
--                        "b" and its content type after the port, and its
--                        bytes in place of the data (store/redis/notice.go).
-- Added with it, with a TTL, so needing no version of its own:
--   <prefix>mticket:<index>  a message ticket's credentials, sealed under a
--                        key derived from the ticket (store.SealMessageTicket),
--                        named by a derivation of the ticket, the port and
--                        the message; read, not deleted, when redeemed.
-- Nothing existing changes, so there is no channel script. The version
-- marks what a build of version 3 would get wrong: it reads an entry
-- without d as undecodable (a messageerror, which its reader acknowledges:
-- the message is lost to it), its acknowledgements do not give back a
-- binary message's bytes, and its reads do not count them against a read's
-- bound. So it stops being ready (GET /readyz) once this version is set;
-- a count it leaves long is put right when the port's queue is empty.
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
