-- check.lua: whether a token may read a port, for issuing a stream ticket.
-- Read-only: issuing a ticket is not activity, so the idle timer keeps
-- running.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash
-- Returns {'ok'}, an auth reply, or 'locked' while a move holds the port
-- (the caller settles the move and asks again, as for a read).
local side, _, err = auth(ARGV[1], ARGV[2], 'read')
if not side then return err end
local l = lock_of(side)
if l then return l end
return {ST_OK}
