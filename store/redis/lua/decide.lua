-- decide.lua: settles what became of a move, for whoever finds its lock.
-- KEYS[1] the move's decision key D
-- ARGV[1] the move's deadline ms, ARGV[2] decision ttl ms
-- Returns 'done:<event id>' (the message was stored: commit), 'aborted'
-- (undo), or 'pending' (the sender may still store it: wait). Past the
-- deadline an absent decision becomes 'aborted' here, atomically, so the
-- sender's post.lua, which stores only while D is absent, can no longer
-- succeed: the two cannot both win.
local v = redis.call('GET', KEYS[1])
if v then return v end
if now_ms() < tonumber(ARGV[1]) then return DECIDED_PENDING end
redis.call('SET', KEYS[1], DECIDED_ABORTED, 'PX', ARGV[2])
return DECIDED_ABORTED
