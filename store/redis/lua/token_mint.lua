-- token_mint.lua: adds a scoped token to a port. Not activity: the idle
-- timer keeps running.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] the new token's hash,
-- ARGV[4] its id, ARGV[5] its scope, ARGV[6] its label
-- Returns {'ok', created_at ms}, {'ok', created_at ms, 'resent'} (this
-- mint's own earlier run, resent by go-redis), {'too_many_tokens'} (the port has
-- MAX_SCOPED_TOKENS already), an auth reply, or 'locked' while a move
-- holds the port.
--
-- The token is the field 'tok:<hash>' = JSON {port, id, scope, label,
-- created_at}, found by auth in the same step as any operation, and its
-- hash is appended to the space-separated '<side>:tokens', which lists the
-- side's tokens oldest first for listing and for revoking them all.
local side, other, err = auth(ARGV[1], ARGV[2], 'tokens')
if not side then return err end
local l = lock_of(side)
if l then return l end
local f = 'tok:' .. ARGV[3]
local again = redis.call('HGET', KEYS[1], f)
if again then
  -- A replay of a mint whose answer was lost. Its write was the first
  -- run's, maybe on another connection, which a WAIT on this one does not
  -- count (durability.go): hence 'resent'.
  return {ST_OK, fmt(cjson.decode(again).created_at), MARK_RESENT}
end
local list = redis.call('HGET', KEYS[1], side .. ':tokens') or ''
local n = 0
for _ in string.gmatch(list, '%S+') do n = n + 1 end
if n >= MAX_SCOPED_TOKENS then return {ST_TOO_MANY_TOKENS} end
local now = now_ms()
redis.call('HSET', KEYS[1], f, cjson.encode({port = ARGV[1], id = ARGV[4],
  scope = ARGV[5], label = ARGV[6], created_at = now}))
if list == '' then list = ARGV[3] else list = list .. ' ' .. ARGV[3] end
redis.call('HSET', KEYS[1], side .. ':tokens', list)
return {ST_OK, fmt(now)}
