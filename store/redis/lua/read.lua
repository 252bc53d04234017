-- read.lua: messages queued at a port, oldest first, without acknowledging.
-- KEYS[1] channel, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- ARGV[1] port id, ARGV[2] token hash, ARGV[3] first id to return
-- (inclusive; '-' for the oldest), ARGV[4] limit, ARGV[5] ttl ms,
-- ARGV[6] bytes: past the first entry, the most bytes of data (the d or,
-- for a binary message, b fields, see data_bytes) to return
-- (store.ReadLimit)
-- Returns {'ok', state, closed_at, entries (as XRANGE), acked (the port's
-- acknowledged-through id, '' for none), last (the newest id ever queued
-- at the port, '' for none), truncated ('1' when the bytes left entries
-- out, else '')}, an auth reply, or 'locked' while a move holds the port.
-- It always writes (touch), which the fenced reads of WAIT mode rely on
-- (see durability.go).
--
-- The entries are read in chunks, each as large as the bytes left seem to
-- allow from the entries so far (plus one, to find the end), so that a
-- queue of large messages is not read whole into the script's memory
-- only to be cut, and one of small messages costs a call or two.
local side, other, err = auth(ARGV[1], ARGV[2], 'read')
if not side then return err end
local l = lock_of(side)
if l then return l end
local limit, budget = tonumber(ARGV[4]), tonumber(ARGV[6])
local entries, total, truncated = {}, 0, ''
local start, want = ARGV[3], math.min(limit, 16)
while want > 0 do
  local chunk = redis.call('XRANGE', queue(side), start, '+', 'COUNT', want)
  for _, e in ipairs(chunk) do
    total = total + data_bytes(e)
    if #entries > 0 and total > budget then
      truncated = '1'
      break
    end
    entries[#entries + 1] = e
  end
  if truncated ~= '' or #chunk < want then break end
  start = '(' .. chunk[#chunk][1]
  local fit = math.floor((budget - total) / math.max(1, total / #entries)) + 1
  want = math.min(limit - #entries, math.max(fit, 1))
end
local h = redis.call('HMGET', KEYS[1], 'state', 'closed_at', side .. ':acked', side .. ':last')
touch(ARGV[5])
return {ST_OK, h[1], h[2] or '', entries, h[3] or '', h[4] or '', truncated}
