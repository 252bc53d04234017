-- message.lua: one message queued at a port, found by its id, without
-- acknowledging (Store.Message), or whether it is queued (for issuing a
-- message ticket).
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] the message's id,
-- ARGV[4] ttl ms to read the message, which restarts the idle timers as a
-- read does (and so always writes, which the fenced reads of WAIT mode
-- rely on, see durability.go); '' to check only, writing nothing: issuing
-- a ticket is not activity
-- Returns {'ok', entries (as XRANGE: the message's entry, or none)} when
-- reading, {'ok', '1' or ''} (queued or not) when checking, an auth reply,
-- or 'locked' while a move holds the port.
local side, _, err = auth(ARGV[1], ARGV[2], 'read')
if not side then return err end
local l = lock_of(side)
if l then return l end
-- An acknowledged message is deleted (ack.lua trims exactly), so the
-- queue holds only what is not acknowledged.
local e = redis.call('XRANGE', queue(side), ARGV[3], ARGV[3])
if ARGV[4] == '' then
  return {ST_OK, #e > 0 and '1' or ''}
end
touch(ARGV[4])
return {ST_OK, e}
