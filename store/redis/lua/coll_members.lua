-- coll_members.lua: the members of a collection about to broadcast, with
-- the token hashes to post with. Broadcasting is activity.
-- ARGV[1] collection token hash, ARGV[2] ttl ms
-- Returns {'ok', {port id, token hash, ...}} or {'unauthorized'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
coll_touch(ARGV[2])
return {ST_OK, redis.call('HGETALL', KEYS[2])}
