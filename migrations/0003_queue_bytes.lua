-- 0003_queue_bytes: establishes schema version 3, in which a channel's hash
-- counts the bytes queued at each port.
-- KEYS[1]: the schema key (<prefix>schema)
-- ARGV[1]: this step's version (3)
-- Returns the schema version after the step.
--
-- What changed since version 2 (see 0001_initial.lua and 0002 for the rest):
--   <prefix>{T}:channel  gains p1:bytes and p2:bytes: the bytes of data
--                        (entry field d) of the messages queued at port 1
--                        and port 2, which store.Limits.MaxQueueBytes
--                        bounds. post.lua adds a message's, ack.lua
--                        subtracts those it deletes, in the same step.
-- channel/0003_queue_bytes.lua counts each channel's queues before this step
-- records the version. A build of version 2 neither checks nor keeps the
-- count, so it stops being ready (GET /readyz) once this version is set; a
-- message it posts meanwhile is not counted, and the count of its port is
-- put right when the port's queue is next emptied by an acknowledgement.
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
