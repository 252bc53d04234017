-- 0001_initial: establishes schema version 1.
-- KEYS[1]: the schema key (<prefix>schema)
-- ARGV[1]: this step's version (1)
-- Returns the schema version after the step.
--
-- Version 1 is the first key schema, so there is nothing to convert; the
-- step only records the version. The schema it stands for (T is a
-- channel's tag, the 20 characters its ids share; {T} is the Redis Cluster
-- hash tag that keeps a channel's keys in one slot):
--   <prefix>{T}:channel  hash: id, created_at, state, closed_at, p1, p2,
--                        p1:token, p2:token (SHA-256 hex), p1:last, p2:last,
--                        p1:acked, p2:acked, p1:posted, p2:posted and
--                        p1:acknowledged, p2:acknowledged (counters),
--                        p1:post, p2:post (id and event id of the side's last
--                        post, to answer a replay), and per side while the
--                        port is being moved in a message: pN:move, pN:mover,
--                        pN:pending, pN:deadline; scoped tokens (added
--                        later, optional, so no new version): tok:<hash> =
--                        JSON {port, id, scope, label, created_at} and
--                        pN:tokens, the side's token hashes oldest first;
--                        touched (added later, optional, so no new
--                        version): unix ms of the last post that restarted
--                        the idle timers (lib.lua's touch_due)
--   <prefix>{T}:q1, :q2  streams: the queues of port 1 and port 2;
--                        entry fields d (data), s (source), t (sent at, ms),
--                        p (transferred ports, JSON), id = event id; o
--                        (the posting request's origin; added later,
--                        optional, so no new version: none without it)
--   <prefix>{T}:former   set of "<port id>:<token hash>" killed by transfer
--   <prefix>{T}:move:<move id>  a move's decision ("done:<id>" or "aborted")
--   <prefix>{T}:idem:<index>    a post's answer under an Idempotency-Key
--   <prefix>idem:channel:<index>  a created channel's answer, sealed under
--                        a key derived from the client's Idempotency-Key
--   <prefix>ticket:<index>  a stream ticket's credentials, sealed under a
--                        key derived from the ticket (added later, with a
--                        TTL, so no new version)
--   <prefix>moves        zset of moves in flight, scored by deadline (ms)
--   <prefix>schema       this version
-- Shard channel <prefix>{T}:notify (SPUBLISH) carries the id of a port of
-- the channel to wake.
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
