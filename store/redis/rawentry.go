package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// rawEntry queues a stream entry with the fields given, as they are, as
// the next message at a port, and rings the port.
// KEYS[1] channel, KEYS[2] q1, KEYS[3] q2; ARGV[1] port id, ARGV[2] the
// channel's shard channel, ARGV[3..] field, value, field, value, ...
// Returns the entry's id, or false for a port not of the channel.
var rawEntry = goredis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'p1', 'p2')
local side, q
if p[1] == ARGV[1] then side, q = 'p1', KEYS[2]
elseif p[2] == ARGV[1] then side, q = 'p2', KEYS[3]
else return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = string.format('%.0f', now) .. '-0'
local last = redis.call('HGET', KEYS[1], side .. ':last')
if last then
  local lm, ls = string.match(last, '^(%d+)-(%d+)$')
  if tonumber(lm) >= now then id = lm .. '-' .. string.format('%.0f', tonumber(ls) + 1) end
end
redis.call('XADD', q, id, unpack(ARGV, 3))
redis.call('HSET', KEYS[1], side .. ':last', id)
redis.call('HINCRBY', KEYS[1], side .. ':posted', 1)
redis.call('SPUBLISH', ARGV[2], ARGV[1])
return id
`)

// AppendRawEntry queues at portID, as its next message, a stream entry
// holding exactly fields (name, value, name, value, ...), and rings the
// port. It checks no token. It is for tests: it writes what this build's
// post.lua never would, an entry of a newer schema or a corrupt one, so
// that they can see what readers make of it. fields must not be empty.
func AppendRawEntry(ctx context.Context, s *Store, portID string, fields ...string) (store.EventID, error) {
	ck, ok := s.keys.forPort(portID)
	if !ok || len(fields) == 0 || len(fields)%2 != 0 {
		return store.EventID{}, fmt.Errorf("raw entry at %q with %d fields: %w", portID, len(fields), store.ErrInvalid)
	}
	args := []any{portID, s.keys.notify(store.Tag(portID))}
	for _, f := range fields {
		args = append(args, f)
	}
	id, err := rawEntry.Run(ctx, s.client, []string{ck.channel, ck.q1, ck.q2}, args...).Text()
	if err != nil {
		return store.EventID{}, fmt.Errorf("raw entry at %s: %w", portID, err)
	}
	return store.ParseEventID(id)
}
