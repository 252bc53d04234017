-- ack.lua: deletes a port's messages up to and including an id.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] through ('' = zero id),
-- ARGV[4] the id right after through, ARGV[5] ttl ms
-- Returns {'ok'}, {'invalid'} (through is after the newest id ever queued
-- at the port), an auth reply, or 'locked'.
local side, other, err = auth(ARGV[1], ARGV[2], 'ack')
if not side then return err end
local l = lock_of(side)
if l then return l end
local h = redis.call('HMGET', KEYS[1], side .. ':last', side .. ':acked')
if idcmp(ARGV[3], h[1] or '') > 0 then return {ST_INVALID} end
if idcmp(ARGV[3], h[2] or '') > 0 then
  -- MINID keeps ids >= its argument, so this removes exactly <= through.
  -- Without LIMIT or '~' the trim is exact, and its count is what this
  -- acknowledgement deleted: the port's acknowledged counter.
  local n = redis.call('XTRIM', queue(side), 'MINID', ARGV[4])
  redis.call('HSET', KEYS[1], side .. ':acked', ARGV[3])
  redis.call('HINCRBY', KEYS[1], side .. ':acknowledged', n)
end
touch(ARGV[5])
return {ST_OK}
