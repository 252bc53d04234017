-- post.lua: queues a message at the sender's peer, in one round trip.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former,
-- KEYS[5] (only with a transfer list) the move's decision key D, which
--         lives in this channel's slot
-- ARGV[1] sender port id, ARGV[2] token hash, ARGV[3] data (JSON),
-- ARGV[4] max queue, ARGV[5] ttl ms, ARGV[6] unused (lib.lua's notify names the channel),
-- ARGV[7] transferred ports as JSON [{"id","token"}] or '',
-- ARGV[8] decision ttl ms, ARGV[9] post id (random, one per Post call)
-- Returns {'ok', event id}, {'closed'}, {'queue_full'}, {'fenced'}, an
-- auth reply, or 'locked' when the sender is being moved.
--
-- With a transfer list, the listed ports are already locked for this move.
-- Setting D to 'done:<id>' in the same step as storing the message is the
-- move's point of no return; if D already exists, a recovery gave up on
-- the move (D = 'aborted') and nothing may be stored. When D is our own
-- 'done', this is a retry of a post whose answer was lost: answer it again.
-- The message holds the fresh tokens in plain text (field p): the receiver
-- must get them, and only the holder of this port can read its queue.
local side, other, err = auth(ARGV[1], ARGV[2])
if not side then return err end
-- go-redis sends a script again when the connection dropped before its
-- answer came; the side's last post id lets the replay answer the first
-- run's event id instead of queueing the message twice.
local last_post = redis.call('HGET', KEYS[1], side .. ':post')
if last_post and string.sub(last_post, 1, #ARGV[9] + 1) == ARGV[9] .. ' ' then
  return {'ok', string.sub(last_post, #ARGV[9] + 2)}
end
local l = lock_of(side)
if l then return l end
local d = KEYS[5] and redis.call('GET', KEYS[5])
if d then
  if string.sub(d, 1, 5) == 'done:' then return {'ok', string.sub(d, 6)} end
  return {'fenced'}
end
local h = redis.call('HMGET', KEYS[1], 'state', other, other .. ':last')
if h[1] == 'closed' then return {'closed'} end
local q = queue(other)
if redis.call('XLEN', q) >= tonumber(ARGV[4]) then return {'queue_full'} end
local now = now_ms()
local id = next_id(h[3], now)
if ARGV[7] ~= '' then
  redis.call('XADD', q, id, 'd', ARGV[3], 's', ARGV[1], 't', fmt(now), 'p', ARGV[7])
else
  redis.call('XADD', q, id, 'd', ARGV[3], 's', ARGV[1], 't', fmt(now))
end
redis.call('HSET', KEYS[1], other .. ':last', id, side .. ':post', ARGV[9] .. ' ' .. id)
if KEYS[5] then
  redis.call('SET', KEYS[5], 'done:' .. id, 'PX', ARGV[8])
end
touch(ARGV[5])
notify(h[2])
return {'ok', id}
