-- transfer.lua: replaces a port's token; the old one and every scoped
-- token die (ErrTransferred).
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former,
-- KEYS[5] (only with ARGV[6]) the transfer's idempotency record, in this
--         channel's slot
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] new token hash,
-- ARGV[4] the channel's shard channel,
-- ARGV[5] ttl ms,
-- ARGV[6] (optional) the request's fingerprint under an idempotency key,
-- ARGV[7] the answer, sealed (base64), ARGV[8] the idempotency window ms
-- Returns {'ok'}, {'ok', '', 'resent'} (this transfer's own earlier run,
-- resent by go-redis), {'ok', sealed answer, 'replayed'} (the key's
-- earlier answer), {'closed'}, {'idem_reused'}, an auth reply, or
-- 'locked'.
--
-- Under an idempotency key the record ('done <fingerprint> <sealed
-- answer>', as idem_begin.lua describes) is written in the same step as
-- the transfer, and looked up before authentication: its name derives
-- from the token presented (store.TransferIndex), which the retry presents
-- again and which is dead by then. Redis never holds the new token, only
-- its hash and the answer sealed under the client's key.
local idem = ARGV[6] and ARGV[6] ~= '' and KEYS[5] or nil
if idem then
  local rec = redis.call('GET', idem)
  if rec then
    local _, fp, answer = string.match(rec, '^(%S+) (%S+) (%S+)')
    if fp ~= ARGV[6] then return {ST_IDEM_REUSED} end
    return {ST_OK, answer, MARK_REPLAYED}
  end
end
local side, other, err = auth(ARGV[1], ARGV[2], 'transfer')
if not side then
  -- A retry of a transfer whose answer was lost finds its own work done.
  -- The write was the first run's, on another connection, which a WAIT on
  -- this one does not count (durability.go): hence 'resent'.
  local s = side_of(ARGV[1])
  if s and err[1] == ST_TRANSFERRED and redis.call('HGET', KEYS[1], s .. ':token') == ARGV[3] then
    return {ST_OK, '', MARK_RESENT}
  end
  return err
end
local l = lock_of(side)
if l then return l end
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {ST_CLOSED} end
redis.call('HSET', KEYS[1], side .. ':token', ARGV[3])
revoke_all(side, ARGV[1], ARGV[2])
if idem then
  redis.call('SET', idem, 'done ' .. ARGV[6] .. ' ' .. ARGV[7], 'PX', ARGV[8])
end
touch(ARGV[5])
notify(ARGV[4], ARGV[1])
return {ST_OK}
