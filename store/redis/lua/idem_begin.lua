-- idem_begin.lua: claims an idempotency record for a request that takes
-- more than one step (a post with a transfer list, a channel's creation),
-- before its first step.
-- KEYS[1] the record
-- ARGV[1] the request's fingerprint, ARGV[2] attempt id (the move id of a
-- post), ARGV[3] attempt timeout ms, ARGV[4] idempotency window ms,
-- ARGV[5] the attempt id of a pending record the caller found abandoned
-- and may replace, or '', ARGV[6] '1' to replace any pending record past
-- its deadline (nothing needs undoing after it), else '0'
-- Returns {'new'} (the record is now this attempt's, pending),
-- {'done', answer}, {'reused'} (answered for another fingerprint), or
-- {'pending', attempt id, deadline ms, 'same' or 'other' fingerprint}
-- (another attempt is under way, or was abandoned: the caller finds out).
--
-- A record is one string, its parts separated by spaces:
--   'pending <fingerprint> <attempt id> <deadline ms>' while under way,
--   'done <fingerprint> <answer>' once answered (post.lua writes it for
--   posts, in the same step as the message; idem_finish.lua for channels).
-- Only answered requests are remembered: a refused one leaves its pending
-- record behind, which the next attempt finds abandoned and replaces.
local rec = redis.call('GET', KEYS[1])
if rec then
  local kind, fp, a, b = string.match(rec, '^(%S+) (%S+) (%S+) ?(%S*)$')
  if kind == 'done' then
    if fp ~= ARGV[1] then return {ST_REUSED} end
    return {ST_DONE, a}
  end
  -- A pending record may belong to a request that will be refused, which
  -- leaves no answer: until that is known, even another fingerprint is
  -- only 'in flight', not 'reused'.
  if a ~= ARGV[2] and a ~= ARGV[5] and
      not (ARGV[6] == '1' and tonumber(b) <= now_ms()) then
    return {ST_PENDING, a, b, fp == ARGV[1] and 'same' or 'other'}
  end
end
local deadline = fmt(now_ms() + tonumber(ARGV[3]))
redis.call('SET', KEYS[1], 'pending ' .. ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. deadline, 'PX', ARGV[4])
return {ST_NEW}
