-- create.lua: makes a channel, unless its tag is taken.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] channel id, ARGV[2] port 1 id, ARGV[3] port 2 id,
-- ARGV[4] port 1 token hash, ARGV[5] port 2 token hash, ARGV[6] ttl ms,
-- ARGV[7] creator ('' when anonymous)
-- Returns {'ok', created_at ms} or {'clash'} (Go retries with new ids).
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) > 0 then
  return {ST_CLASH}
end
local now = fmt(now_ms())
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'created_at', now, 'state', 'open',
  'p1', ARGV[2], 'p2', ARGV[3], 'p1:token', ARGV[4], 'p2:token', ARGV[5],
  'creator', ARGV[7])
touch(ARGV[6])
return {ST_OK, now}
