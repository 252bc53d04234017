-- ack.lua: deletes a port's messages up to and including an id.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] through ('' = zero id),
-- ARGV[4] the id right after through, ARGV[5] ttl ms
-- Returns {'ok'}, {'invalid'} (through is after the newest id ever queued
-- at the port), an auth reply, or 'locked'.
--
-- It gives back the bytes of what it deletes (the side's <side>:bytes, see
-- post.lua). An ack through the newest id ever queued at the port (a
-- reader that keeps up acknowledges so) deletes the whole queue, and the
-- side holds 0 bytes after it, whatever the field said: this also puts
-- right a count that an older build's posts left short during an upgrade.
-- An ack of part of the queue reads the entries before trimming them, in
-- chunks, which costs at most the bytes the queue may hold
-- (store.Limits.MaxQueueBytes); it leaves the queue holding at least the
-- entry of the newest id.
--
-- An ack is activity, even one that deletes nothing: like a post, it
-- restarts the idle timers when they are due (touch_due).
--
-- It reads the channel hash in two calls (guess_side, then one HMGET of
-- all it needs, p2 to check the guess) and writes it in one: each
-- redis.call costs Redis some 3,000 to 4,000 instructions besides the
-- command's own (docs/PERFORMANCE.md).
local side, other = guess_side(ARGV[1])
local h = redis.call('HMGET', KEYS[1], side .. ':token', side .. ':move', side .. ':last',
  side .. ':acked', side .. ':bytes', side .. ':acknowledged', 'p2')
if not side_checked(ARGV[1], side, h[7]) then return {ST_UNAUTHORIZED} end
local _, _, err = authorize(ARGV[1], ARGV[2], 'ack', side, other, h[1])
if err then return err end
if h[2] then return lock_of(side) end
local last = h[3] or ''
if idcmp(ARGV[3], last) > 0 then return {ST_INVALID} end
if idcmp(ARGV[3], h[4] or '') > 0 then
  local q = queue(side)
  local left = 0
  if idcmp(ARGV[3], last) < 0 then
    local freed, start = 0, '-'
    repeat
      local chunk = redis.call('XRANGE', q, start, ARGV[3], 'COUNT', 64)
      for _, e in ipairs(chunk) do freed = freed + data_bytes(e) end
      if #chunk > 0 then start = '(' .. chunk[#chunk][1] end
    until #chunk < 64
    left = math.max(0, num(h[5] or '0') - freed)
  end
  -- MINID keeps ids >= its argument, so this removes exactly <= through.
  -- Without LIMIT or '~' the trim is exact, and its count is what this
  -- acknowledgement deleted: the port's acknowledged counter. An emptied
  -- stream stays, with its timer.
  local n = redis.call('XTRIM', q, 'MINID', ARGV[4])
  redis.call('HSET', KEYS[1], side .. ':acked', ARGV[3], side .. ':bytes', fmt(left),
    side .. ':acknowledged', fmt(num(h[6] or '0') + n))
end
if touch_due(ARGV[5]) then touch(ARGV[5]) end
return {ST_OK}
