-- idem_finish.lua: records the answer of a channel created under an
-- idempotency key, if the record is still this attempt's.
-- KEYS[1] the record
-- ARGV[1] the request's fingerprint, ARGV[2] attempt id, ARGV[3] the
-- answer (sealed, base64), or '' to give the claim up (the creation
-- failed, and nothing is to be remembered), ARGV[4] idempotency window ms
-- Returns {'ok'}, or {'lost', record or ''} when another attempt took the
-- record over (this one was too slow): its answer, not ours, is the key's.
local rec = redis.call('GET', KEYS[1]) or ''
local kind, fp, a = string.match(rec, '^(%S+) (%S+) (%S+)')
if kind ~= 'pending' or fp ~= ARGV[1] or a ~= ARGV[2] then
  return {ST_LOST, rec}
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
  return {ST_OK}
end
redis.call('SET', KEYS[1], 'done ' .. ARGV[1] .. ' ' .. ARGV[3], 'PX', ARGV[4])
return {ST_OK}
