-- move_lock.lua: step 2 of a move (see doc.go): locks a listed port for a
-- move, or, with ARGV[3] = '1', only checks that it could.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former (of the port)
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] '1' to check only,
-- ARGV[4] move id, ARGV[5] mover (the sender's tag), ARGV[6] pending
-- (fresh) token hash, ARGV[7] deadline ms, ARGV[8] ttl ms, ARGV[9] (when
-- locking) the channel's shard channel: the port's waiters are told to
-- look, and find it busy, so that none is handed a message pushed while
-- the port is on its way to another holder
-- Returns {'ok'}, {'closed'}, an auth reply, or 'locked' when another move
-- holds the port.
local side, other, err = auth(ARGV[1], ARGV[2], 'give_away')
if not side then return err end
local l = lock_of(side)
if l then
  if l[3] == ARGV[4] then return {ST_OK} end -- a retry of this very lock
  return l
end
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {ST_CLOSED} end
if ARGV[3] == '1' then return {ST_OK} end
redis.call('HSET', KEYS[1], side .. ':move', ARGV[4], side .. ':mover', ARGV[5],
  side .. ':pending', ARGV[6], side .. ':deadline', ARGV[7])
touch(ARGV[8])
notify(ARGV[9], ARGV[1])
return {ST_OK}
