package redis

import (
	"context"
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// rawEntry queues a stream entry with the fields given, as they are, as
// the next message at a port, and rings the port. lib.lua goes in front of
// it, so that the id is computed as post.lua computes it (next_id).
// KEYS[1] channel, KEYS[2] q1, KEYS[3] q2; ARGV[1] port id, ARGV[2] the
// channel's shard channel, ARGV[3..] field, value, field, value, ...
// Returns the entry's id, or false for a port not of the channel.
const rawEntry = `
local side = side_of(ARGV[1])
if not side then return false end
local id = next_id(redis.call('HGET', KEYS[1], side .. ':last'), now_text())
redis.call('XADD', queue(side), id, unpack(ARGV, 3))
redis.call('HSET', KEYS[1], side .. ':last', id)
redis.call('HINCRBY', KEYS[1], side .. ':posted', 1)
redis.call('SPUBLISH', ARGV[2], ARGV[1])
return id
`

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
	sc := newScript(libText() + rawEntry)
	id, err := s.exec(ctx, scriptOp(sc, 0, []string{ck.channel, ck.q1, ck.q2}, args...))[0].text()
	if err != nil {
		return store.EventID{}, fmt.Errorf("raw entry at %s: %w", portID, err)
	}
	return store.ParseEventID(id)
}
