-- moves_add.lua: step 1 of a move: indexes its ports before any is locked,
-- so that a crash leaves an index entry, never a lock nobody can find.
-- KEYS[1] the moves zset
-- ARGV[1] move timeout ms, ARGV[2..] members "<mover tag>:<move id>:<port id>"
-- Returns the move's deadline (server clock, ms), which is every entry's score.
local deadline = fmt(now_ms() + tonumber(ARGV[1]))
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], deadline, ARGV[i])
end
return deadline
