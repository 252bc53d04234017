-- coll_get.lua: the collection and its member ids. Read-only: looking is
-- not activity.
-- ARGV[1] collection token hash
-- Returns {'ok', created_at ms, {port id...}} or {'unauthorized'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
return {ST_OK, redis.call('HGET', KEYS[1], 'created_at'), redis.call('HKEYS', KEYS[2])}
