-- channel/0002_former_zset: turns one channel's set of dead tokens into the
-- zset of schema version 2 (see ../0002_former_zset.lua). Idempotent: a
-- channel without a set (none, or a zset already) is left as it is.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- Returns the number of members kept, or -1 when there was nothing to do.
--
-- A set kept no order, so each port keeps 256 of its members, the first
-- met, numbered in the order met; members of neither port are dropped. The
-- set is walked with SSCAN and stops once both ports have their 256, so a
-- set grown to millions costs little more than that; UNLINK frees the rest
-- in the background. The key keeps its time to live.
local MAX = 256
if redis.call('TYPE', KEYS[4]).ok ~= 'set' then
  return -1
end
local ports = redis.call('HMGET', KEYS[1], 'p1', 'p2')
local sign = {}
if ports[1] then sign[ports[1]] = 1 end
if ports[2] then sign[ports[2]] = -1 end
local count = {}
local seen = {}
local add = {}
local cursor = '0'
repeat
  local r = redis.call('SSCAN', KEYS[4], cursor, 'COUNT', 1000)
  cursor = r[1]
  for _, m in ipairs(r[2]) do
    local port = string.match(m, '^([^:]*):')
    local s = port and sign[port]
    if s and not seen[m] and (count[port] or 0) < MAX then
      seen[m] = true
      count[port] = (count[port] or 0) + 1
      add[#add + 1] = string.format('%.0f', s * count[port])
      add[#add + 1] = m
    end
  end
  local full = true
  for port in pairs(sign) do
    if (count[port] or 0) < MAX then full = false end
  end
until cursor == '0' or full
local ttl = redis.call('PTTL', KEYS[4])
redis.call('UNLINK', KEYS[4])
for i = 1, #add, 200 do
  redis.call('ZADD', KEYS[4], unpack(add, i, math.min(i + 199, #add)))
end
if ttl > 0 and #add > 0 then
  redis.call('PEXPIRE', KEYS[4], ttl)
end
return #add / 2
