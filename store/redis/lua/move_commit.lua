-- move_commit.lua: step 4 of a move: the pending token replaces the old
-- one, which dies (ErrTransferred) with every scoped token of the port.
-- Only once the move's decision is done.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former (of the port)
-- ARGV[1] port id, ARGV[2] move id, ARGV[3] the channel's shard channel,
-- ARGV[4] ttl ms
-- Returns {'ok'}, or {'gone'} when the port holds no lock of this move
-- (already settled, or the channel expired).
local side = side_of(ARGV[1])
if not side then return {ST_GONE} end
local h = redis.call('HMGET', KEYS[1], side .. ':move', side .. ':token', side .. ':pending')
if h[1] ~= ARGV[2] then return {ST_GONE} end
redis.call('HSET', KEYS[1], side .. ':token', h[3])
revoke_all(side, ARGV[1], h[2])
unlock(side)
touch(ARGV[4])
notify(ARGV[3], ARGV[1])
return {ST_OK}
