-- coll_create.lua: makes a new, empty collection.
-- ARGV[1] token hash, ARGV[2] ttl ms
-- Returns {'ok', created_at ms}, or {'exists'} when the id is taken (the
-- caller draws another).
if redis.call('EXISTS', KEYS[1]) == 1 then return {ST_EXISTS} end
local now = fmt(now_ms())
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'created_at', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {ST_OK, now}
