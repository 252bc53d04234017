-- token_revoke.lua: forgets one scoped token of a port. It does not go to
-- the former set: a revoked token is simply wrong from now on. The port's
-- waiters are told to look, so that a stream opened with the token reads,
-- and ends, before it could be handed a message pushed after this.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] the scoped token's id,
-- ARGV[4] the channel's shard channel
-- Returns {'ok'}, {'not_found'}, an auth reply, or 'locked' while a move
-- holds the port.
local side, other, err = auth(ARGV[1], ARGV[2], 'tokens')
if not side then return err end
local l = lock_of(side)
if l then return l end
local list = redis.call('HGET', KEYS[1], side .. ':tokens') or ''
local keep = {}
local found = false
for h in string.gmatch(list, '%S+') do
  local rec = redis.call('HGET', KEYS[1], 'tok:' .. h)
  if rec and not found and cjson.decode(rec).id == ARGV[3] then
    redis.call('HDEL', KEYS[1], 'tok:' .. h)
    found = true
  else
    keep[#keep + 1] = h
  end
end
if not found then return {ST_NOT_FOUND} end
if #keep == 0 then
  redis.call('HDEL', KEYS[1], side .. ':tokens')
else
  redis.call('HSET', KEYS[1], side .. ':tokens', table.concat(keep, ' '))
end
notify(ARGV[4], ARGV[1])
return {ST_OK}
