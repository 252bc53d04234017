-- close.lua: closes a channel, for both ports; idempotent.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] the channel's shard channel,
-- ARGV[4] ttl ms
-- Returns {'ok'}, an auth reply, or 'locked' while either port is being
-- moved (a move checked the channel open when it locked the port; closing
-- under it would let a closed port move).
local side, other, err = auth(ARGV[1], ARGV[2], 'close')
if not side then return err end
local h = redis.call('HMGET', KEYS[1], 'state', 'p1', 'p2')
if h[1] ~= 'closed' then
  local l = lock_of('p1') or lock_of('p2')
  if l then return l end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closed_at', fmt(now_ms()))
  notify(ARGV[3], h[2])
  notify(ARGV[3], h[3])
end
touch(ARGV[4])
return {ST_OK}
