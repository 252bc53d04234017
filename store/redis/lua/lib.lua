-- lib.lua: helpers that open the store's library (scripts.go), after the
-- preamble that preamble.go writes from Go, and before every script, each
-- a function of the library; Redis defines them once, when it loads the
-- library. The preamble holds the statuses (ST_*), marks
-- (MARK_*), decisions (DECIDED_*), bounds and ALLOWS (what each scoped
-- token's scope allows, by operation, from store.Scope.Allows; the port's
-- own token allows everything). It touches no key by itself. Channel
-- scripts use the key layout
--   KEYS[1] channel hash, KEYS[2] q1, KEYS[3] q2, KEYS[4] former
-- and find the caller's side ('p1' or 'p2') by comparing port ids with the
-- hash's p1 and p2 fields.

-- fmt writes a whole number without an exponent. '%d' (a C long, exact
-- past 2^53) costs Redis less than half what '%.0f' does: no floating
-- point formatting.
local function fmt(n)
  return string.format('%d', n)
end

-- num is the number a decimal string holds. Arithmetic converts the
-- string once; tonumber converts it twice (Lua 5.1 checks, then
-- converts), which costs a script twice as much.
local function num(s)
  return s + 0
end

-- now_ms is the server's clock in unix milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- numcmp compares unsigned decimal strings without leading zeros, exactly,
-- however long (Lua numbers would round past 2^53).
local function numcmp(x, y)
  if #x ~= #y then
    return #x < #y and -1 or 1
  end
  if x == y then return 0 end
  return x < y and -1 or 1
end

-- idcmp compares event ids "<ms>-<seq>"; '' is the zero id.
local function idcmp(a, b)
  if a == b then return 0 end
  if a == '' then return -1 end
  if b == '' then return 1 end
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  local c = numcmp(am, bm)
  if c ~= 0 then return c end
  return numcmp(as, bs)
end

-- now_text is now_ms as text, written from TIME's own digits: a post needs
-- the clock as text (its id, its entry's t, the notice), and Lua writes a
-- number with string.format, which costs a post more than this.
local function now_text()
  local t = redis.call('TIME')
  local us = t[2]
  if #us < 6 then us = string.rep('0', 6 - #us) .. us end
  return t[1] .. string.sub(us, 1, 3)
end

-- next_id is the id of a message queued at ms (unix milliseconds, as
-- text: now_text) after last: the shape of XADD *, computed from the
-- port's last id rather than the stream's, so that ids keep increasing
-- even if the stream key were lost.
local function next_id(last, ms)
  if not last or last == '' then
    return ms .. '-0'
  end
  local lm, ls = string.match(last, '^(%d+)-(%d+)$')
  if numcmp(ms, lm) > 0 then
    return ms .. '-0'
  end
  return lm .. '-' .. fmt(num(ls) + 1)
end

-- queue is the stream key of a side's incoming messages.
local function queue(side)
  if side == 'p1' then return KEYS[2] end
  return KEYS[3]
end

-- touch restarts the idle timer of every key of the channel, for the
-- channel's idle TTL and a slack of a sixteenth of it: a channel lives at
-- least ttl after its last activity and at most ttl/16 longer. The slack
-- lets post.lua and ack.lua restart the timers only once every ttl/16
-- (see touch_due) instead of on every message: whenever one skips it, the
-- keys still live at least ttl from now.
local function touch(ttl)
  ttl = num(ttl)
  for i = 1, 4 do
    redis.call('PEXPIRE', KEYS[i], fmt(ttl + math.floor(ttl / 16)))
  end
end

-- touch_due reports whether a post or an ack must restart the idle
-- timers: whether the channel's hash lives less than ttl from now. The
-- hash stands for every key: touch restarts them all alike, and a key
-- made since (a post's new queue) has its timers restarted by the script
-- that made it. Other scripts restart them every time: a later restart
-- only moves the expiry further away. (Builds before this one kept the
-- time of the last restart in the hash's field 'touched', which nothing
-- reads any more.)
local function touch_due(ttl)
  return redis.call('PTTL', KEYS[1]) < num(ttl)
end

-- data_bytes is the bytes of a stream entry's payload (its field d, or a
-- binary message's b, as XRANGE returns the entry): what
-- store.Limits.MaxQueueBytes and store.ReadLimit.Bytes count (see
-- store.Message.Size).
local function data_bytes(e)
  local f = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'd' or f[i] == 'b' then return #f[i + 1] end
  end
  return 0
end

-- side_of returns the side of port and the other side, or nil.
local function side_of(port)
  local p = redis.call('HMGET', KEYS[1], 'p1', 'p2')
  if p[1] == port then return 'p1', 'p2' end
  if p[2] == port then return 'p2', 'p1' end
  return nil
end

-- guess_side is side_of at half its cost, for a script that reads the
-- hash's field 'p2' in an HMGET it makes anyway: it reads p1 alone (HGET,
-- about 4,750 instructions of Redis where HMGET of p1 and p2 took 9,450)
-- and takes any other port for p2, a guess that side_checked must confirm
-- from that HMGET before the side is trusted. It also returns p1's id
-- (false for a channel that does not exist).
local function guess_side(port)
  local p1 = redis.call('HGET', KEYS[1], 'p1')
  if p1 == port then return 'p1', 'p2', p1 end
  return 'p2', 'p1', p1
end

-- side_checked reports whether port holds the side guess_side gave, given
-- the hash's field 'p2'.
local function side_checked(port, side, p2)
  return side == 'p1' or p2 == port
end

-- lock_of returns the 'locked' reply for a side being moved, or nil:
-- {'locked', port id, move id, mover tag, deadline ms}.
local function lock_of(side)
  local l = redis.call('HMGET', KEYS[1], side, side .. ':move', side .. ':mover', side .. ':deadline')
  if not l[2] then return nil end
  return {ST_LOCKED, l[1], l[2], l[3], l[4]}
end

-- The former key (KEYS[4]) is a zset of the channel's dead tokens,
-- '<port id>:<token hash>', which answer 'transferred' rather than
-- 'unauthorized'. Each side's members are numbered in the order they
-- died, p1's scored 1, 2, 3 ... and p2's -1, -2, -3 ..., so that a side's
-- members are one score range with its oldest nearest zero: counted with
-- ZCOUNT and trimmed with ZREMRANGEBYRANK, without reading them. A side
-- keeps its newest MAX_FORMER_TOKENS.

-- former_has reports whether member ('<port id>:<hash>') is a dead token.
local function former_has(member)
  return redis.call('ZSCORE', KEYS[4], member) ~= false
end

-- former_add remembers a side's dead tokens ('<port id>:<hash>' each), in
-- the order given (oldest first), and forgets the side's oldest beyond the
-- bound.
local function former_add(side, members)
  if #members == 0 then return end
  local neg = redis.call('ZCOUNT', KEYS[4], '-inf', '(0')
  local n = neg
  if side == 'p1' then n = redis.call('ZCARD', KEYS[4]) - neg end
  local seq = 0
  if n > 0 then
    -- The side's newest: p1's highest score, p2's lowest.
    local edge = side == 'p1' and -1 or 0
    seq = math.abs(tonumber(redis.call('ZRANGE', KEYS[4], edge, edge, 'WITHSCORES')[2]))
  end
  local sign = side == 'p1' and 1 or -1
  for _, m in ipairs(members) do
    seq = seq + 1
    n = n + redis.call('ZADD', KEYS[4], fmt(sign * seq), m)
  end
  if n <= MAX_FORMER_TOKENS then return end
  if side == 'p1' then
    -- p1's ranks follow p2's, oldest first.
    redis.call('ZREMRANGEBYRANK', KEYS[4], neg, neg + n - MAX_FORMER_TOKENS - 1)
  else
    -- p2's ranks come first, newest first.
    redis.call('ZREMRANGEBYRANK', KEYS[4], MAX_FORMER_TOKENS, n - 1)
  end
end

-- auth checks the token hash presented for port, for operation op (a
-- store.Op; nil allows the port's own token only). It returns side, other
-- side, nil on success, else nil, nil, the reply to give. Presenting the
-- pending token of a move answers 'locked', so that the caller settles the
-- move (the receiver may use its fresh token before the sender committed).
-- A scoped token is the hash field 'tok:<hash>' (see token_mint.lua).
-- Hashes are compared with == and found by hash lookups, neither in
-- constant time, on purpose: what timing could reveal is a stored SHA-256,
-- not a token, and a token is 256 random bits, so knowing its hash does not
-- help to find it. (Lua interns its strings, so == on two strings compares
-- two pointers anyway.) A byte-by-byte comparison cost about 11 µs of
-- Redis's single thread per call.
--
-- auth is side_of, then the side's token, then authorize: a script that
-- needs more of the hash reads the token in the same HMGET as the rest
-- and calls authorize itself (post.lua does), one call to Redis fewer.
--
-- authorize decides from the side's token (the value of the field
-- '<side>:token'). Only a hash that is not the side's token makes it read
-- the side's pending token and the scoped token record, if any: the
-- port's own token, the common case, looks up no field that is usually
-- missing (a missing field costs a search of the whole hash).
local function authorize(port, hash, op, side, other, token)
  if token == hash then return side, other, nil end
  local r = redis.call('HMGET', KEYS[1], side .. ':pending', 'tok:' .. hash)
  local pending, scoped = r[1], r[2]
  if pending and pending == hash then return nil, nil, lock_of(side) end
  if scoped then
    local rec = cjson.decode(scoped)
    if rec.port == port then
      if op and ALLOWS[rec.scope] and ALLOWS[rec.scope][op] then return side, other, nil end
      return nil, nil, {ST_INSUFFICIENT_SCOPE}
    end
  end
  if former_has(port .. ':' .. hash) then
    return nil, nil, {ST_TRANSFERRED}
  end
  return nil, nil, {ST_UNAUTHORIZED}
end

local function auth(port, hash, op)
  local side, other = side_of(port)
  if not side then return nil, nil, {ST_UNAUTHORIZED} end
  return authorize(port, hash, op, side, other, redis.call('HGET', KEYS[1], side .. ':token'))
end

-- revoke_all kills the token old of a side whose port changes hands, and
-- every scoped token of the side: each goes to the former zset, so that it
-- answers 'transferred'. '<side>:tokens' lists the scoped tokens' hashes,
-- oldest first.
local function revoke_all(side, port, old)
  local dead = {port .. ':' .. old}
  local list = redis.call('HGET', KEYS[1], side .. ':tokens')
  if list then
    for h in string.gmatch(list, '%S+') do
      redis.call('HDEL', KEYS[1], 'tok:' .. h)
      dead[#dead + 1] = port .. ':' .. h
    end
    redis.call('HDEL', KEYS[1], side .. ':tokens')
  end
  former_add(side, dead)
end

local LOCK_FIELDS = {':move', ':mover', ':pending', ':deadline'}

-- unlock removes a side's move lock.
local function unlock(side)
  for _, f in ipairs(LOCK_FIELDS) do
    redis.call('HDEL', KEYS[1], side .. f)
  end
end

-- notify tells whoever waits on port to look again: it SPUBLISHes the port
-- id on the channel's shard channel (keys.go's notify), which is in the
-- channel's slot, so only the node owning the slot carries the notice, to
-- the instances listening for the channel.
local function notify(channel, port)
  redis.call('SPUBLISH', channel, port)
end

-- notify_message pushes a message without ports, just queued at port with
-- id after prev ('' for none), to whoever waits on port, in the same
-- place as notify: a reader waiting at prev delivers it without reading
-- it back (notice.go describes the format). A binary message (content
-- type ctype, not '') puts the mark 'b' and its content type first; a
-- message with an origin puts the mark 'o' before prev and the origin
-- before the data. The data (a binary message's bytes) comes last, as
-- it is: Lua strings, like Redis's, hold any bytes.
local function notify_message(channel, port, prev, id, sent_at, source, origin, ctype, data)
  local head = 'm\0' .. port .. '\0'
  if ctype ~= '' then
    head = head .. 'b\0' .. ctype .. '\0'
  end
  if origin == '' then
    redis.call('SPUBLISH', channel,
      head .. prev .. '\0' .. id .. '\0' .. sent_at .. '\0' .. source .. '\0' .. data)
  else
    redis.call('SPUBLISH', channel,
      head .. 'o\0' .. prev .. '\0' .. id .. '\0' .. sent_at .. '\0' .. source .. '\0' .. origin .. '\0' .. data)
  end
end

-- The script proper follows.
