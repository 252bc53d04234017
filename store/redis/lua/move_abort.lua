-- move_abort.lua: undoes step 2 of a move: the port keeps its old token and
-- the pending one is forgotten. Only once the move's decision is aborted
-- (or the message was never stored).
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former (of the port)
-- ARGV[1] port id, ARGV[2] move id
-- Returns {'ok'}, or {'gone'} when the port holds no lock of this move.
local side = side_of(ARGV[1])
if not side then return {ST_GONE} end
if redis.call('HGET', KEYS[1], side .. ':move') ~= ARGV[2] then return {ST_GONE} end
unlock(side)
return {ST_OK}
