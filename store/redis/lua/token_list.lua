-- token_list.lua: a port's scoped tokens, oldest first. Read-only.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash
-- Returns {'ok', JSON record...} (see token_mint.lua), an auth reply, or
-- 'locked' while a move holds the port.
local side, other, err = auth(ARGV[1], ARGV[2], 'tokens')
if not side then return err end
local l = lock_of(side)
if l then return l end
local out = {ST_OK}
local list = redis.call('HGET', KEYS[1], side .. ':tokens') or ''
for h in string.gmatch(list, '%S+') do
  local rec = redis.call('HGET', KEYS[1], 'tok:' .. h)
  if rec then out[#out + 1] = rec end
end
return out
