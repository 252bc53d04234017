-- read.lua: messages queued at a port, oldest first, without acknowledging.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] first id to return
-- (inclusive; '-' for the oldest), ARGV[4] limit, ARGV[5] ttl ms
-- Returns {'ok', state, closed_at, entries (as XRANGE), acked (the port's
-- acknowledged-through id, '' for none), last (the newest id ever queued
-- at the port, '' for none)}, an auth reply, or 'locked' while a move
-- holds the port.
-- It always writes (touch), which the fenced reads of WAIT mode rely on
-- (see durability.go).
local side, other, err = auth(ARGV[1], ARGV[2], 'read')
if not side then return err end
local l = lock_of(side)
if l then return l end
local entries = redis.call('XRANGE', queue(side), ARGV[3], '+', 'COUNT', ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'state', 'closed_at', side .. ':acked', side .. ':last')
touch(ARGV[5])
return {ST_OK, h[1], h[2] or '', entries, h[3] or '', h[4] or ''}
