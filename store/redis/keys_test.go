package redis_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestKeysCarryTheChannelsHashTag: after every kind of change, each key
// but the store-wide ones is "<prefix>{<tag>}:..." with the tag of one of
// the channels made, so a channel's keys share a Cluster slot.
func TestKeysCarryTheChannelsHashTag(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	a, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Post(ctx, creds(a.Port1), store.Outgoing{Data: []byte(`1`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, creds(a.Port2), id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, creds(a.Port2), store.Outgoing{Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, creds(a.Port1), store.Outgoing{Data: []byte(`2`), Transfer: []store.Credentials{creds(b.Port1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, creds(b.Port2)); err != nil {
		t.Fatal(err)
	}
	if err := s.ClosePort(ctx, creds(a.Port1)); err != nil {
		t.Fatal(err)
	}

	tags := map[string]bool{store.Tag(a.ID): true, store.Tag(b.ID): true}
	shape := regexp.MustCompile(`^\{([0-9A-Z]{20})\}:(channel|q1|q2|former|move:[0-9A-Z]{26})$`)
	seen := map[string]bool{}
	for _, k := range keysWithPrefix(t, client(t, shared), prefix) {
		rest := strings.TrimPrefix(k, prefix)
		if rest == "schema" || rest == "moves" {
			continue
		}
		m := shape.FindStringSubmatch(rest)
		if m == nil || !tags[m[1]] {
			t.Errorf("key %q does not carry a channel's hash tag", k)
			continue
		}
		seen[m[2][:min(4, len(m[2]))]] = true
	}
	for _, kind := range []string{"chan", "q1", "q2", "form", "move"} {
		if !seen[kind] {
			t.Errorf("no %s key seen: %v", kind, seen)
		}
	}
}
