-- coll_lib.lua: helpers of the collection scripts, put after lib.lua and
-- before each coll_*.lua (see collection.go). Collection scripts use the
-- key layout
--   KEYS[1] the collection's hash (fields 'token', the hash of its token,
--           and 'created_at', unix ms), KEYS[2] its members' hash (port id
--           -> hash of the token the member was added with),
-- both in the slot of the collection's own hash tag.

-- coll_open reports whether hash is the collection's token hash. An
-- unknown (or expired) collection and a wrong token are one answer.
local function coll_open(hash)
  local t = redis.call('HGET', KEYS[1], 'token')
  return t ~= false and t == hash
end

-- coll_touch restarts the collection's idle timer: ttl ms from now, for
-- both keys (PEXPIRE on a members' hash not made yet does nothing).
local function coll_touch(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end

-- The script proper follows.
