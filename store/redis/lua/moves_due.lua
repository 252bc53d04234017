-- moves_due.lua: the indexed moves whose deadline has passed, for the sweeper.
-- KEYS[1] the moves zset
-- ARGV[1] how many at most
-- Returns member, score, member, score...
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now_ms()), 'WITHSCORES', 'LIMIT', 0, ARGV[1])
