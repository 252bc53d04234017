-- coll_remove.lua: removes a member.
-- ARGV[1] collection token hash, ARGV[2] member port id, ARGV[3] ttl ms
-- Returns {'ok'}, {'unauthorized'} or {'not_member'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return {ST_NOT_MEMBER} end
coll_touch(ARGV[3])
return {ST_OK}
