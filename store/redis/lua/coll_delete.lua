-- coll_delete.lua: forgets the collection.
-- ARGV[1] collection token hash
-- Returns {'ok'} or {'unauthorized'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
redis.call('DEL', KEYS[1], KEYS[2])
return {ST_OK}
