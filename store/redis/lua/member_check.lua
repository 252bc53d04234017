-- member_check.lua: whether a token may post through a port, for adding
-- the port to a collection. Read-only: it is not activity of the channel.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash
-- Returns {'ok'}, {'closed'}, an auth reply, or 'locked' while a move
-- holds the port (the caller settles the move and asks again).
local side, _, err = auth(ARGV[1], ARGV[2], 'post')
if not side then return err end
local l = lock_of(side)
if l then return l end
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {ST_CLOSED} end
return {ST_OK}
