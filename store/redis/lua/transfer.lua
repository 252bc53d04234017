-- transfer.lua: replaces a port's token; the old one and every scoped
-- token die (ErrTransferred).
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] new token hash,
-- ARGV[4] the channel's shard channel,
-- ARGV[5] ttl ms
-- Returns {'ok'}, {'closed'}, an auth reply, or 'locked'.
local side, other, err = auth(ARGV[1], ARGV[2], 'transfer')
if not side then
  -- A retry of a transfer whose answer was lost finds its own work done.
  local s = side_of(ARGV[1])
  if s and err[1] == ST_TRANSFERRED and redis.call('HGET', KEYS[1], s .. ':token') == ARGV[3] then
    return {ST_OK}
  end
  return err
end
local l = lock_of(side)
if l then return l end
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {ST_CLOSED} end
redis.call('SADD', KEYS[4], ARGV[1] .. ':' .. ARGV[2])
redis.call('HSET', KEYS[1], side .. ':token', ARGV[3])
revoke_all(side, ARGV[1])
touch(ARGV[5])
notify(ARGV[4], ARGV[1])
return {ST_OK}
