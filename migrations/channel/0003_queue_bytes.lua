-- channel/0003_queue_bytes: counts the bytes of data queued at each port of
-- one channel, for schema version 3 (see ../0003_queue_bytes.lua).
-- Idempotent: a side whose count is there already is left as it is.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- Returns {p1's bytes, p2's bytes} as counted or found, or -1 when the
-- channel is gone.
--
-- Each queue is read in chunks of 64 entries, so that the script holds at
-- most 64 messages at a time, whatever the queue holds; the bytes are
-- those of the field d, as lib.lua's data_bytes counts them.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local out = {}
for i, side in ipairs({'p1', 'p2'}) do
  local field = side .. ':bytes'
  local n = redis.call('HGET', KEYS[1], field)
  if not n then
    local total, start = 0, '-'
    repeat
      local chunk = redis.call('XRANGE', KEYS[i + 1], start, '+', 'COUNT', 64)
      for _, e in ipairs(chunk) do
        local f = e[2]
        for j = 1, #f, 2 do
          if f[j] == 'd' then total = total + #f[j + 1] end
        end
      end
      if #chunk > 0 then start = '(' .. chunk[#chunk][1] end
    until #chunk < 64
    n = string.format('%.0f', total)
    redis.call('HSET', KEYS[1], field, n)
  end
  out[i] = tonumber(n)
end
return out
