-- describe.lua: what the holder of a port may know about it. Read-only:
-- looking is not activity, so the idle timer keeps running.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash
-- Returns {'ok', channel id, peer id, state, created_at, closed_at, last,
-- acked, queued, posted, acknowledged, creator, queued bytes}, or an auth
-- reply, or 'locked' while a move holds the port. The counters are decimal
-- strings; a channel made before they existed, and not posted to since,
-- counts what it holds.
local side, other, err = auth(ARGV[1], ARGV[2], 'describe')
if not side then return err end
local l = lock_of(side)
if l then return l end
local h = redis.call('HMGET', KEYS[1], 'id', other, 'state', 'created_at', 'closed_at',
  side .. ':last', side .. ':acked', side .. ':posted', side .. ':acknowledged', 'creator', side .. ':bytes')
local queued = redis.call('XLEN', queue(side))
local acknowledged = h[9] or '0'
local posted = h[8] or fmt(queued + tonumber(acknowledged))
return {ST_OK, h[1], h[2], h[3], h[4], h[5] or '', h[6] or '', h[7] or '',
  queued, posted, acknowledged, h[10] or '', h[11] or '0'}
