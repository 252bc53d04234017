-- ack.lua: deletes a port's messages up to and including an id.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] through ('' = zero id),
-- ARGV[4] the id right after through, ARGV[5] ttl ms
-- Returns {'ok'}, {'invalid'} (through is after the newest id ever queued
-- at the port), an auth reply, or 'locked'.
--
-- It gives back the bytes of what it deletes (the side's <side>:bytes, see
-- post.lua): it reads the entries before trimming them, in chunks, which
-- costs at most the bytes the queue may hold (store.Limits.MaxQueueBytes).
-- An empty queue holds 0 bytes whatever the field said, which puts right
-- a count that an older build's posts left short during an upgrade.
local side, other, err = auth(ARGV[1], ARGV[2], 'ack')
if not side then return err end
local l = lock_of(side)
if l then return l end
local h = redis.call('HMGET', KEYS[1], side .. ':last', side .. ':acked', side .. ':bytes')
if idcmp(ARGV[3], h[1] or '') > 0 then return {ST_INVALID} end
if idcmp(ARGV[3], h[2] or '') > 0 then
  local q = queue(side)
  local freed, start = 0, '-'
  repeat
    local chunk = redis.call('XRANGE', q, start, ARGV[3], 'COUNT', 64)
    for _, e in ipairs(chunk) do freed = freed + data_bytes(e) end
    if #chunk > 0 then start = '(' .. chunk[#chunk][1] end
  until #chunk < 64
  -- MINID keeps ids >= its argument, so this removes exactly <= through.
  -- Without LIMIT or '~' the trim is exact, and its count is what this
  -- acknowledgement deleted: the port's acknowledged counter.
  local n = redis.call('XTRIM', q, 'MINID', ARGV[4])
  local left = math.max(0, tonumber(h[3] or '0') - freed)
  if redis.call('XLEN', q) == 0 then left = 0 end
  redis.call('HSET', KEYS[1], side .. ':acked', ARGV[3], side .. ':bytes', fmt(left))
  redis.call('HINCRBY', KEYS[1], side .. ':acknowledged', n)
end
touch(ARGV[5])
return {ST_OK}
