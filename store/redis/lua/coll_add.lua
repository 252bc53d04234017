-- coll_add.lua: adds (or re-adds) a member whose credentials were checked
-- just before, at its channel (member_check.lua).
-- ARGV[1] collection token hash, ARGV[2] member port id, ARGV[3] hash of
-- the member's token, ARGV[4] most members, ARGV[5] ttl ms
-- Returns {'ok', 1} for a new member, {'ok', 0} for a re-added one,
-- {'unauthorized'} or {'too_many_members'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
local had = redis.call('HEXISTS', KEYS[2], ARGV[2])
if had == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then
  return {ST_TOO_MANY_MEMBERS}
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
coll_touch(ARGV[5])
return {ST_OK, 1 - had}
