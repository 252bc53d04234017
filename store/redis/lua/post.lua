-- post.lua: queues a message at the sender's peer, in one round trip.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former,
-- KEYS[5] (only with a transfer list) the move's decision key D, which
--         lives in this channel's slot,
-- KEYS[#KEYS] (only with ARGV[14]) the post's idempotency record, in this
--         channel's slot too (see idem_begin.lua for its format)
-- ARGV[1] sender port id, ARGV[2] token hash, ARGV[3] the message's
-- payload: its data (JSON), or a binary message's bytes, as they are,
-- ARGV[4] max queue, ARGV[5] ttl ms, ARGV[6] the channel's shard channel,
-- ARGV[7] transferred ports as JSON [{"id","token"}] or '',
-- ARGV[8] decision ttl ms, ARGV[9] post id (random, one per Post call),
-- ARGV[10] the origin the post claimed ('' for none; stored as field o
-- only when there is one: an entry without o has none),
-- ARGV[11] '1' when the notice may carry the message itself, '0' when it
-- must only name the port (WAIT mode: readers get messages from fenced
-- reads only, see durability.go),
-- ARGV[12] max queue bytes (store.Limits.MaxQueueBytes),
-- ARGV[13] a binary message's content type, '' for a JSON message,
-- ARGV[14] (optional) the request's fingerprint under an idempotency key,
-- ARGV[15] the idempotency window ms, ARGV[16] with a transfer list, the
-- move id that idem_begin.lua put in the record as pending
-- Returns {'ok', event id}, {'ok', event id, 'replayed'} (an idempotency
-- key's earlier answer), {'ok', event id, 'resent'} (this post's own
-- earlier run, resent by go-redis or met again by a move), {'closed'},
-- {'queue_full'}, {'queue_bytes_full'}, {'fenced'}, {'idem_reused'},
-- {'idem_in_flight'}, an auth reply, or 'locked' when the sender is being
-- moved.
--
-- A JSON message is stored as field d, a binary one as fields b (the
-- bytes, a raw string: Redis strings are binary-safe) and c (its content
-- type), never d: a build from before binary messages reads an entry
-- without d as undecodable, never as data.
--
-- The hash's field <side>:bytes counts the bytes of payload (field d or
-- b, see lib.lua's data_bytes) queued at the side: this script adds a message's, ack.lua subtracts those it
-- deletes (see store.Limits.Admit for the rule, checked here). Migration
-- 0003 set it on the channels that were there before it; a channel
-- without it (one an older build made during a rolling upgrade) counts
-- from 0. An older build's posts leave the count short, its acks leave it
-- long; an empty queue puts it right (0), here and in ack.lua.
--
-- With a transfer list, the listed ports are already locked for this move.
-- Setting D to 'done:<id>' in the same step as storing the message is the
-- move's point of no return; if D already exists, a recovery gave up on
-- the move (D = 'aborted') and nothing may be stored. When D is our own
-- 'done', this is a retry of a post whose answer was lost: answer it again.
-- The message holds the fresh tokens in plain text (field p): the receiver
-- must get them, and only the holder of this port can read its queue.
--
-- Under an idempotency key the record is checked and written in the same
-- step as the message, so that neither can exist without the other.
local idem = ARGV[14] and ARGV[14] ~= '' and KEYS[#KEYS] or nil
local dkey = KEYS[5] ~= idem and KEYS[5] or nil
-- Everything the post reads of the channel hash comes in one HMGET (each
-- redis.call costs Redis's thread about half a microsecond of its own).
-- The field p2 is the peer's id when the sender is p1, and checks the
-- guess when it is p2, whose peer is p1 (see guess_side).
local side, other, p1 = guess_side(ARGV[1])
local h = redis.call('HMGET', KEYS[1], side .. ':post', side .. ':move', 'state',
  'p2', other .. ':last', other .. ':posted', other .. ':bytes', side .. ':token')
if not side_checked(ARGV[1], side, h[4]) then return {ST_UNAUTHORIZED} end
local last_post, moving, state, peer, peer_last, posted, queued_bytes = h[1], h[2], h[3], h[4], h[5], h[6], h[7]
if side == 'p2' then peer = p1 end
local _, _, err = authorize(ARGV[1], ARGV[2], 'post', side, other, h[8])
if err then return err end
-- go-redis sends a script again when the connection dropped before its
-- answer came; the side's last post id lets the replay answer the first
-- run's event id instead of queueing the message twice. The answer is
-- marked 'resent': the write was made by the first run, on another
-- connection, which a WAIT on this one does not count (durability.go).
if last_post and string.sub(last_post, 1, #ARGV[9] + 1) == ARGV[9] .. ' ' then
  return {ST_OK, string.sub(last_post, #ARGV[9] + 2), MARK_RESENT}
end
if moving then return lock_of(side) end
local d = dkey and redis.call('GET', dkey)
if d then
  if string.sub(d, 1, #DECIDED_DONE) == DECIDED_DONE then
    return {ST_OK, string.sub(d, #DECIDED_DONE + 1), MARK_RESENT}
  end
  return {ST_FENCED}
end
if idem then
  local rec = redis.call('GET', idem)
  if rec then
    local kind, fp, a = string.match(rec, '^(%S+) (%S+) (%S+)')
    if kind == 'pending' then
      -- Another attempt's claim (see idem_begin.lua): Go settles it.
      if a ~= ARGV[16] then return {ST_IDEM_IN_FLIGHT} end
    elseif fp ~= ARGV[14] then
      return {ST_IDEM_REUSED}
    elseif dkey then
      -- A move must find its own claim: anything else means the key was
      -- taken over, and this move may neither store nor commit.
      return {ST_IDEM_IN_FLIGHT}
    else
      return {ST_OK, a, MARK_REPLAYED}
    end
  end
end
if state == 'closed' then return {ST_CLOSED} end
local q = queue(other)
local queued = redis.call('XLEN', q)
if queued >= num(ARGV[4]) then return {ST_QUEUE_FULL} end
-- An empty queue holds no bytes, whatever the count says (see above).
if queued == 0 then queued_bytes = '0' end
queued_bytes = num(queued_bytes or '0') + #ARGV[3]
if queued_bytes > num(ARGV[12]) then return {ST_QUEUE_BYTES_FULL} end
if not posted then
  -- A channel made before the counters existed starts its posted counter
  -- from what it holds, so that queued = posted - acknowledged holds.
  local acknowledged = redis.call('HGET', KEYS[1], other .. ':acknowledged') or '0'
  posted = queued + num(acknowledged)
end
local now = now_text()
local id = next_id(peer_last, now)
-- NOMKSTREAM: a queue that does not exist (the side's first message)
-- answers nil instead of being made without a timer; it is made next,
-- and the timers restarted. A queue that acks emptied stays, with its
-- timer, so that a reader that keeps up costs no restart per message.
local added
if ARGV[7] == '' and ARGV[10] == '' and ARGV[13] == '' then
  -- The common case, without building a table.
  added = redis.call('XADD', q, 'NOMKSTREAM', id, 'd', ARGV[3], 's', ARGV[1], 't', now)
  if not added then redis.call('XADD', q, id, 'd', ARGV[3], 's', ARGV[1], 't', now) end
else
  local entry
  if ARGV[13] == '' then
    entry = {'d', ARGV[3], 's', ARGV[1], 't', now}
  else
    entry = {'b', ARGV[3], 'c', ARGV[13], 's', ARGV[1], 't', now}
  end
  if ARGV[7] ~= '' then
    entry[#entry + 1] = 'p'
    entry[#entry + 1] = ARGV[7]
  end
  if ARGV[10] ~= '' then
    entry[#entry + 1] = 'o'
    entry[#entry + 1] = ARGV[10]
  end
  added = redis.call('XADD', q, 'NOMKSTREAM', id, unpack(entry))
  if not added then redis.call('XADD', q, id, unpack(entry)) end
end
if not added or touch_due(ARGV[5]) then touch(ARGV[5]) end
redis.call('HSET', KEYS[1], other .. ':last', id, side .. ':post', ARGV[9] .. ' ' .. id,
  other .. ':posted', fmt(num(posted) + 1), other .. ':bytes', fmt(queued_bytes))
if dkey then
  redis.call('SET', dkey, DECIDED_DONE .. id, 'PX', ARGV[8])
end
if idem then
  redis.call('SET', idem, 'done ' .. ARGV[14] .. ' ' .. id, 'PX', ARGV[15])
end
-- A message with ports, or larger than 8 KiB, only rings: a waiting
-- reader reads it. Pushing at most 8 KiB keeps what a waiter's queue of
-- notices can hold (64 of them, see store/subscription.go) to 512 KiB.
-- In WAIT mode nothing is pushed (ARGV[11]).
if ARGV[7] ~= '' or #ARGV[3] > 8192 or ARGV[11] ~= '1' then
  notify(ARGV[6], peer)
else
  notify_message(ARGV[6], peer, peer_last or '', id, now, ARGV[1], ARGV[10], ARGV[13], ARGV[3])
end
return {ST_OK, id}
