-- post_check.lua: read-only; authenticates a sender and classifies the
-- entries of its transfer list that name ports of its own channel. Used
-- only when a transfer list is refused anyway, to find the refusal.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] sender port id, ARGV[2] token hash, ARGV[3..] listed port ids
-- Returns {'ok', reason...} (one reason per listed id: 'self', 'peer' or
-- 'unauthorized'), or an auth reply.
local side, other, err = auth(ARGV[1], ARGV[2], 'post')
if not side then return err end
local peer = redis.call('HGET', KEYS[1], other)
local out = {ST_OK}
for i = 3, #ARGV do
  if ARGV[i] == ARGV[1] then
    out[#out + 1] = 'self'
  elseif ARGV[i] == peer then
    out[#out + 1] = 'peer'
  else
    out[#out + 1] = 'unauthorized'
  end
end
return out
